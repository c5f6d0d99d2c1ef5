import type { WebClient } from '@slack/web-api';
import type { ChannelDirectory, ChannelFind } from '../domain/summary-route.ts';
import type { Log } from '../log.ts';
import { slackErrorOf } from './web.ts';

export interface ChannelDirectoryOptions {
  /** How often the whole list is read again in the background (default 5 minutes). */
  refreshMs?: number;
  /** A name not in the list triggers a re-read at most this often (default 30 s): a channel made minutes ago. */
  missRefreshMs?: number;
  /** The longest a look-up waits for a re-read under way before answering from what it has (default 3 s). */
  waitMs?: number;
}

interface Entry {
  id: string;
  member: boolean;
}

/**
 * Channel name → id, from conversations.list (public and private channels the bot can see; needs
 * channels:read and groups:read). Read in the background and cached; a look-up answers from the cache,
 * waiting at most `waitMs` for a read under way. It runs after the acknowledgement (the close's summary
 * is routed after D3 answered), so Slack never waits on it. A failed read keeps the last good list.
 */
export function createChannelDirectory(client: WebClient, log: Log, o: ChannelDirectoryOptions = {}) {
  const refreshMs = o.refreshMs ?? 5 * 60_000;
  const missRefreshMs = o.missRefreshMs ?? 30_000;
  const waitMs = o.waitMs ?? 3_000;
  let names: Map<string, Entry> | undefined;
  let readAt = 0;
  let reading: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  async function readAll(): Promise<void> {
    const next = new Map<string, Entry>();
    let cursor: string | undefined;
    for (let page = 0; page < 50; page++) {
      const res = await client.conversations.list({
        types: 'public_channel,private_channel',
        exclude_archived: true,
        limit: 1000,
        ...(cursor && { cursor }),
      });
      for (const c of res.channels ?? [])
        if (c.id && c.name) next.set(c.name.toLowerCase(), { id: c.id, member: c.is_member === true });
      cursor = res.response_metadata?.next_cursor || undefined;
      if (!cursor) break;
    }
    names = next;
  }

  function refresh(): Promise<void> {
    reading ??= readAll()
      .catch((e: unknown) =>
        log.warn({ slackError: slackErrorOf(e) }, 'conversations.list failed; channel names stay as they were'),
      )
      .finally(() => {
        readAt = Date.now();
        reading = undefined;
      });
    return reading;
  }

  const within = (p: Promise<void>) =>
    Promise.race([p, new Promise<void>((resolve) => setTimeout(resolve, waitMs).unref())]);

  const directory: ChannelDirectory & { start(): void; stop(): void; refresh(): Promise<void> } = {
    async find(name: string): Promise<ChannelFind> {
      const key = name.toLowerCase();
      if (!names?.has(key) && Date.now() - readAt >= missRefreshMs) await within(refresh());
      else if (!names && reading) await within(reading);
      if (!names) return { unknown: true };
      const e = names.get(key);
      return e ? { found: true, id: e.id, member: e.member } : { found: false };
    },
    start() {
      void refresh();
      timer = setInterval(() => void refresh(), refreshMs).unref();
    },
    stop() {
      clearInterval(timer);
    },
    refresh,
  };
  return directory;
}
