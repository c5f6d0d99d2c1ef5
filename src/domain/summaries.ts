import type { Log } from '../log.ts';
import type { Store } from '../store/ports.ts';
import type { PendingSummary, SummaryDelivery } from './types.ts';

/** What posting one summary to Slack came to. `permanent` failures will not succeed on retry. */
export type PostResult = { ok: true } | { ok: false; slackError: string; permanent: boolean };

export interface SummaryDeliverer {
  /** Records the confirmed closure in the outbox, then posts it. Never throws. */
  deliver(p: PendingSummary): Promise<SummaryDelivery>;
  /** Posts every summary still in the outbox (left by a crash, or by a Slack outage). */
  replayPending(): Promise<number>;
  /** Replays now and then every `intervalMs` until stop(). */
  start(intervalMs: number): void;
  /** No further replays; resolves when the one under way (if any) has finished. */
  stop(): Promise<void>;
}

export interface SummaryDeps {
  store: Store;
  post(p: PendingSummary): Promise<PostResult>;
  /** Tells the analyst when a replayed summary can never be posted. */
  notifyNotPosted(p: PendingSummary, slackError: string): Promise<void>;
  log: Log;
  /** Identifies this process as the holder of a summary's claim. */
  instanceId: string;
  /** How long one instance may hold a summary while posting it; a dead holder's claim lapses after this. */
  claimTtlMs: number;
}

export function createSummaryDeliverer(deps: SummaryDeps): SummaryDeliverer {
  const claimKey = (id: string) => `summary:${id}`;
  let timer: NodeJS.Timeout | undefined;
  let replaying: Promise<void> | undefined;

  // The claim keeps two instances (or a replay racing a live post) from posting one summary twice.
  async function postClaimed(p: PendingSummary, fromList = false): Promise<PostResult | undefined> {
    const claim = await deps.store.locks.acquire(claimKey(p.id), deps.instanceId, deps.claimTtlMs);
    if (!claim.acquired) return undefined;
    try {
      // A replay's list may be stale: whoever held the claim before us may have posted it since.
      if (fromList && !(await deps.store.outbox.list()).some((q) => q.id === p.id)) return undefined;
      const result = await deps
        .post(p)
        .catch((e: unknown): PostResult => ({ ok: false, slackError: errorCode(e), permanent: false }));
      if (result.ok || result.permanent) await deps.store.outbox.remove(p.id);
      return result;
    } finally {
      await deps.store.locks.release(claimKey(p.id), deps.instanceId).catch(() => {});
    }
  }

  async function deliver(p: PendingSummary): Promise<SummaryDelivery> {
    const log = deps.log.child({ requestId: p.requestId, incident: p.closure.incidentNumber });
    try {
      await deps.store.outbox.put(p);
    } catch (e) {
      // Still post: the closure happened. Only crash-safety is lost for this one summary.
      log.error({ err: e }, 'could not record the closure in the outbox before posting');
    }
    const result = await postClaimed(p).catch((e: unknown): PostResult => {
      log.error({ err: e }, 'summary post failed');
      return { ok: false, slackError: errorCode(e), permanent: false };
    });
    if (!result)
      return { status: 'not_posted', channelId: p.channelId, slackError: 'claimed_elsewhere', willRetry: true };
    if (result.ok) {
      log.info({ channel: p.channelId }, 'closure summary posted');
      return { status: 'posted', channelId: p.channelId };
    }
    log.warn(
      { channel: p.channelId, slackError: result.slackError, permanent: result.permanent },
      'summary not posted',
    );
    return {
      status: 'not_posted',
      channelId: p.channelId,
      slackError: result.slackError,
      willRetry: !result.permanent,
    };
  }

  async function replayPending(): Promise<number> {
    let posted = 0;
    for (const p of await deps.store.outbox.list()) {
      const result = await postClaimed(p, true).catch(() => undefined);
      if (result?.ok) posted += 1;
      else if (result?.permanent) {
        deps.log.error(
          { requestId: p.requestId, slackError: result.slackError },
          'pending summary can never be posted',
        );
        await deps.notifyNotPosted(p, result.slackError).catch(() => {});
      }
    }
    if (posted > 0) deps.log.info({ posted }, 'pending closure summaries posted');
    return posted;
  }

  return {
    deliver,
    replayPending,
    start(intervalMs) {
      const run = () => {
        replaying = replayPending()
          .then(
            () => {},
            (e) => deps.log.error({ err: e }, 'summary replay failed'),
          )
          .finally(() => {
            replaying = undefined;
            if (timer) timer = setTimeout(run, intervalMs).unref();
          });
      };
      timer = setTimeout(run, 0).unref();
    },
    async stop() {
      clearTimeout(timer);
      timer = undefined;
      // A post cut off by the store closing would stay in the outbox and be posted again at the next start.
      await replaying;
    },
  };
}

function errorCode(e: unknown): string {
  const data = (e as { data?: { error?: unknown } })?.data;
  if (typeof data?.error === 'string') return data.error;
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'slack_unreachable';
}
