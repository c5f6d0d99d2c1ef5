import type { Log } from '../log.ts';
import type { PostResult, SummaryDeps } from './summary-ports.ts';
import type { PendingSummary } from './types.ts';

/** What one attempt at a pending summary came to. */
export type Attempt =
  | { kind: 'posted' }
  /** The channel already shows it (message metadata): not posted again. */
  | { kind: 'found' }
  | { kind: 'failed'; result: Extract<PostResult, { ok: false }> }
  /** No longer pending: another holder finished it. */
  | { kind: 'gone' }
  /** Another holder has the claim. */
  | { kind: 'busy' }
  /** Could not tell (store error, history look-up unknown): left for the next round. */
  | { kind: 'later' };

export interface AttemptOptions {
  /** Look in the channel first: Slack may already have it (left by a crash, a timeout, another instance). */
  lookFirst: boolean;
  /** After claiming, check it is still pending (it was read from the store, or the claim was contended). */
  recheck: boolean;
  /** A store error while claiming: post anyway (a live closure) or leave it for the next round (a replay). */
  onClaimError: 'post' | 'later';
  /** False for a summary only this process knows of (held in memory while the store is down). */
  claim?: boolean;
}

/** Rounds a transient history failure may hold a replay back before the summary is posted anyway. */
const lookupPatience = 3;
/** The longest a live post waits for another holder before telling the analyst the summary is pending. */
const holderWaitMaxMs = 15_000;

/**
 * Posting one summary under its claim. The claim keeps two instances (or a replay and a live post)
 * from posting one summary twice; a heartbeat renews it for as long as the post really runs (Retry-After
 * sleeps included), so it lapses only when its holder dies.
 */
export function createSummaryAttempts(deps: SummaryDeps) {
  const claimKey = (id: string) => `summary:${id}`;
  /** What this process last saw of a summary's post: proven not in Slack, or maybe there. */
  const known = new Map<string, 'absent' | 'maybe'>();
  /** Posted, but the outbox entry could not be removed: remove it, never post it again. */
  const leftovers = new Set<string>();
  const lookupMisses = new Map<string, number>();

  function forget(id: string): void {
    known.delete(id);
    lookupMisses.delete(id);
  }

  async function settle(p: PendingSummary, log: Log): Promise<void> {
    forget(p.id);
    try {
      await deps.store.outbox.remove(p.id);
    } catch (e) {
      deps.observe?.('remove_failed');
      leftovers.add(p.id);
      log.error({ err: e }, 'summary posted, but its outbox entry could not be removed; removing it later');
    }
  }

  function heartbeat(key: string, log: Log): () => void {
    let timer: NodeJS.Timeout | undefined;
    const every = Math.max(1, Math.floor(deps.claimTtlMs / 3));
    const beat = async () => {
      const kept = await deps.store.locks.extend(key, deps.instanceId, deps.claimTtlMs).catch((e: unknown) => {
        log.warn({ err: e }, 'could not renew the summary claim (store error); trying again');
        return true;
      });
      if (!kept) log.error('lost the summary claim while posting; another instance may post it too');
      else if (timer) timer = setTimeout(beat, every).unref();
    };
    timer = setTimeout(beat, every).unref();
    return () => {
      clearTimeout(timer);
      timer = undefined;
    };
  }

  async function lookUp(p: PendingSummary, log: Log): Promise<'posted' | 'post' | 'later'> {
    if (!deps.findPosted) return 'post';
    const seen = await deps.findPosted(p).catch((e: unknown) => ({
      seen: 'unknown' as const,
      reason: String((e as Error)?.message ?? e),
      transient: true,
    }));
    if (seen.seen !== 'unknown') return seen.seen === 'posted' ? 'posted' : 'post';
    const misses = (lookupMisses.get(p.id) ?? 0) + 1;
    lookupMisses.set(p.id, misses);
    if (seen.transient && misses < lookupPatience) {
      log.warn({ reason: seen.reason, misses }, 'cannot tell yet whether Slack has the summary; trying again later');
      return 'later';
    }
    // Posting risks a duplicate; not posting risks losing it. At least once beats never.
    log.warn({ reason: seen.reason }, 'cannot tell whether Slack already has the summary; posting it (at least once)');
    return 'post';
  }

  async function attempt(p: PendingSummary, o: AttemptOptions): Promise<Attempt> {
    const log = deps.log.child({ requestId: p.requestId, incident: p.closure.incidentNumber });
    const key = claimKey(p.id);
    let claimed = false;
    if (o.claim !== false) {
      try {
        const claim = await deps.store.locks.acquire(key, deps.instanceId, deps.claimTtlMs);
        if (!claim.acquired) return { kind: 'busy' };
        claimed = true;
      } catch (e) {
        deps.observe?.('claim_failed');
        if (o.onClaimError === 'later') return { kind: 'later' };
        log.error({ err: e }, 'could not take the summary claim (store error); posting without it');
      }
    }
    const stopBeating = claimed ? heartbeat(key, log) : () => {};
    try {
      if (o.recheck) {
        const pending = await deps.store.outbox.list().catch(() => undefined);
        if (!pending) return { kind: 'later' };
        if (!pending.some((q) => q.id === p.id)) {
          forget(p.id);
          return { kind: 'gone' };
        }
      }
      if (o.lookFirst) {
        const found = await lookUp(p, log);
        if (found === 'later') return { kind: 'later' };
        if (found === 'posted') {
          log.info({ channel: p.channelId }, 'summary already in the channel; not posting it again');
          await settle(p, log);
          return { kind: 'found' };
        }
      }
      const result = await deps
        .post(p)
        .catch(
          (e: unknown): PostResult => ({ ok: false, slackError: errorCode(e), permanent: false, maybePosted: true }),
        );
      if (result.ok || result.permanent) await settle(p, log);
      else known.set(p.id, result.maybePosted ? 'maybe' : 'absent');
      return result.ok ? { kind: 'posted' } : { kind: 'failed', result };
    } finally {
      stopBeating();
      if (claimed) await deps.store.locks.release(key, deps.instanceId).catch(() => {});
    }
  }

  return {
    attempt,
    known: known as ReadonlyMap<string, 'absent' | 'maybe'>,
    leftover: (id: string) => leftovers.has(id),

    /**
     * A live post that found the claim taken (a replay or another instance got there first): wait for
     * that holder, then either it finished (gone) or the summary is ours to post.
     */
    async awaitHolder(p: PendingSummary): Promise<Attempt> {
      const deadline = Date.now() + Math.min(deps.claimTtlMs, holderWaitMaxMs);
      const pause = Math.max(5, Math.min(100, Math.floor(deps.claimTtlMs / 10)));
      let a: Attempt = { kind: 'busy' };
      while ((a.kind === 'busy' || a.kind === 'later') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, pause));
        a = await attempt(p, { lookFirst: true, recheck: true, onClaimError: 'later' });
      }
      return a;
    },

    async removeLeftovers(): Promise<void> {
      for (const id of [...leftovers])
        await deps.store.outbox.remove(id).then(
          () => leftovers.delete(id),
          () => {},
        );
    },

    /** Drops what this process remembers of summaries no longer pending. */
    forgetAllBut(pendingIds: string[]): void {
      const keep = new Set(pendingIds);
      for (const id of [...known.keys(), ...lookupMisses.keys()]) if (!keep.has(id)) forget(id);
    },
  };
}

function errorCode(e: unknown): string {
  const data = (e as { data?: { error?: unknown } })?.data;
  if (typeof data?.error === 'string') return data.error;
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'slack_unreachable';
}
