import { WebClient } from '@slack/web-api';
import type { PostResult, Seen } from '../domain/summaries.ts';
import type { PendingSummary } from '../domain/types.ts';
import type { Log } from '../log.ts';
import { bulkSummary } from './render/bulk.ts';
import { closureSummary } from './render/summary.ts';
import { requestFetch } from './request-fetch.ts';
import { slackErrorOf } from './web.ts';

/** The message metadata `event_type` every summary carries; its payload names the closure. */
export const SUMMARY_EVENT_TYPE = 'incident_closed';
/** Reading a conversation's history: public, private, DM and group DM. */
export const HISTORY_SCOPES = ['channels:history', 'groups:history', 'im:history', 'mpim:history'] as const;

/**
 * Errors Slack answers with that a later try may not get again. Any other error Slack answers with is
 * its final word on this message (posting_to_general_channel_denied, team_access_not_granted,
 * invalid_arguments, not_in_channel…): retrying it would re-post forever while the analyst waits for a
 * summary that never comes. Network failures, 5xx and 429s are retried.
 */
const transientPostErrors = new Set([
  'ratelimited',
  'rate_limited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'team_added_to_org',
  'message_limit_exceeded',
]);
/** History errors a later round may not see again; others (no scope, not a member) will not change. */
const transientLookupErrors = new Set(['ratelimited', 'slack_unreachable', 'slack_http_error', 'internal_error']);

export interface SummaryPostOptions {
  /** Our bot's id (auth.test): only its own messages count as the summary already posted. */
  botId?: string;
  /** The longest Retry-After one post sleeps out itself; a longer one is left to the outbox replay. */
  maxRetryAfterMs?: number;
  /** Tries per post: the first, and one after each 429 (default 3). */
  tries?: number;
  /** How far before a summary's creation its history look-up starts (clock skew between us and Slack). */
  lookbackMs?: number;
  /** The incident's page in D3 for a number (D3_INCIDENT_URL_TEMPLATE), shown as "Open in D3". */
  incidentUrl?: (incidentNumber: string) => string | undefined;
  /** D3_TIMEZONE: D3's dates without a zone become Slack date tokens only when it is known. */
  timeZone?: string;
}

/**
 * Posts summaries and finds them again. `client` is a WebClient of its own, built with
 * `rejectRateLimitedCalls: true` and no retries, so every wait is ours and bounded: a post takes at most
 * tries × the client's timeout + (tries − 1) × maxRetryAfterMs, and the summary claim is renewed meanwhile.
 * The client never re-sends a post on its own after a timeout, which could post it twice.
 */
export function createSummaryPost(client: WebClient, o: SummaryPostOptions = {}) {
  const tries = o.tries ?? 3;
  const maxRetryAfterMs = o.maxRetryAfterMs ?? 10_000;
  const lookbackMs = o.lookbackMs ?? 10 * 60_000;
  return {
    async post(p: PendingSummary): Promise<PostResult> {
      const incidentUrl = o.incidentUrl?.(p.closure.incidentNumber);
      const msg = p.items
        ? bulkSummary(p)
        : closureSummary({
            closure: p.closure,
            slackUserId: p.slackUserId,
            d3Username: p.d3Username,
            incidentUrl,
            timeZone: o.timeZone,
          });
      // The closure id in metadata lets a later replay find this message instead of posting it again.
      const metadata = {
        event_type: SUMMARY_EVENT_TYPE,
        event_payload: { closure_id: p.id, incident_number: p.closure.incidentNumber },
      };
      for (let attempt = 1; ; attempt++) {
        try {
          // No link_names, no unfurls: the summary must not ping or preview anything the note contains.
          await client.chat.postMessage({
            channel: p.channelId,
            // A reply in the alert's thread (message shortcut), shown in the channel too when configured.
            ...(p.threadTs && { thread_ts: p.threadTs, ...(p.replyBroadcast && { reply_broadcast: true }) }),
            ...msg,
            metadata,
            unfurl_links: false,
            unfurl_media: false,
          } as never);
          return { ok: true };
        } catch (e) {
          const waitMs = retryAfterMs(e);
          if (waitMs !== undefined && attempt < tries && waitMs <= maxRetryAfterMs) {
            await new Promise((resolve) => setTimeout(resolve, waitMs));
            continue;
          }
          return failure(e);
        }
      }
    },

    /** Newest first since a little before the summary was created, a few pages at most. */
    async findPosted(p: PendingSummary): Promise<Seen> {
      const created = Date.parse(p.createdAt);
      if (Number.isNaN(created)) return { seen: 'unknown', reason: 'bad_created_at', transient: false };
      const oldest = ((created - lookbackMs) / 1000).toFixed(6);
      let cursor: string | undefined;
      for (let page = 0; page < 5; page++) {
        let res: Awaited<ReturnType<WebClient['conversations']['history']>>;
        const query = {
          channel: p.channelId,
          oldest,
          limit: 200,
          include_all_metadata: true,
          ...(cursor && { cursor }),
        };
        try {
          // A threaded reply is not in the channel's history (unless broadcast): read the thread instead.
          res = p.threadTs
            ? await client.conversations.replies({ ...query, ts: p.threadTs })
            : await client.conversations.history(query);
        } catch (e) {
          const reason = slackErrorOf(e);
          return { seen: 'unknown', reason, transient: transientLookupErrors.has(reason) };
        }
        if (res.messages?.some((m) => carries(m, p.id, o.botId))) return { seen: 'posted' };
        cursor = res.response_metadata?.next_cursor;
        if (!res.has_more || !cursor) return { seen: 'absent' };
      }
      return { seen: 'unknown', reason: 'history_too_long', transient: false };
    },
  };
}

/**
 * Summaries get a WebClient of their own: it rejects 429s instead of sleeping on them (and pausing every
 * other call on the client), and never re-sends a post by itself, so createSummaryPost bounds every wait.
 */
export function createSummaryClient(token: string, slackApiUrl: string | undefined, timeoutMs = 8_000): WebClient {
  return new WebClient(token, {
    slackApiUrl,
    timeout: timeoutMs,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logger: undefined,
    fetch: requestFetch,
  });
}

/**
 * Whether a summary left pending (a crash, another instance) may be looked up in its channel before it
 * is posted again, from the scopes auth.test reported. Without the history scopes it cannot: say so once,
 * and post at least once.
 */
export function historyLookupAllowed(granted: readonly string[] | undefined, log: Log): boolean {
  if (granted === undefined) {
    log.warn('Slack did not report the token scopes; looking summaries up anyway (a failed look-up posts again)');
    return true;
  }
  const missing = HISTORY_SCOPES.filter((s) => !granted.includes(s));
  if (missing.length === 0) return true;
  const none = missing.length === HISTORY_SCOPES.length;
  log.warn(
    { missingScopes: missing },
    none
      ? 'no history scopes: closure summaries are posted at least once across crashes (one posted just before a crash is posted again); add the scopes from manifest.yml and reinstall'
      : 'some history scopes are missing: in those conversations closure summaries are posted at least once across crashes',
  );
  return !none;
}

function carries(m: unknown, closureId: string, botId: string | undefined): boolean {
  const msg = m as { bot_id?: unknown; metadata?: { event_type?: unknown; event_payload?: { closure_id?: unknown } } };
  return (
    msg.metadata?.event_type === SUMMARY_EVENT_TYPE &&
    msg.metadata.event_payload?.closure_id === closureId &&
    (botId === undefined || msg.bot_id === botId)
  );
}

function retryAfterMs(e: unknown): number | undefined {
  const err = e as { code?: unknown; retryAfter?: unknown };
  if (err?.code !== 'slack_webapi_rate_limited_error' || typeof err.retryAfter !== 'number') return undefined;
  return Math.max(0, err.retryAfter) * 1000;
}

/** A Slack error code: a snake_case word (`not_in_channel`). */
const slackCode = /^[a-z0-9_]+$/;

/**
 * Slack said no (a platform error, a 429): proven not posted, and final unless transient. A timeout, reset or
 * 5xx: maybe posted. So is a 200 whose body web-api could not read as JSON (a proxy's page, a cut-off
 * '{"ok":true,…'): web-api reports it as a platform error carrying the raw body, which proves nothing.
 */
function failure(e: unknown): PostResult {
  const code = (e as { code?: unknown })?.code;
  const raw = slackErrorOf(e);
  const unreadable = code === 'slack_webapi_platform_error' && !slackCode.test(raw);
  const slackError = unreadable ? 'slack_unreadable_reply' : raw;
  const answered = code === 'slack_webapi_platform_error' && !unreadable;
  const proven = answered || code === 'slack_webapi_rate_limited_error';
  return { ok: false, slackError, permanent: answered && !transientPostErrors.has(slackError), maybePosted: !proven };
}
