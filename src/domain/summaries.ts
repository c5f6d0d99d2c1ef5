import type { Log } from '../log.ts';
import { type Attempt, createSummaryAttempts } from './summary-attempt.ts';
import type { SummaryDeps } from './summary-ports.ts';
import type { PendingSummary, SummaryDelivery } from './types.ts';

export type { PostResult, Seen, SummaryDeps, SummaryEvent, SummaryStore } from './summary-ports.ts';

export interface SummaryDeliverer {
  /** Records the confirmed closure in the outbox, then posts it. Never throws. */
  deliver(p: PendingSummary): Promise<SummaryDelivery>;
  /** Posts every summary still pending (left by a crash, a Slack outage or a store outage). */
  replayPending(): Promise<number>;
  /** Replays now and then every `intervalMs` until stop(). */
  start(intervalMs: number): void;
  /** No further replays; resolves when the one under way (if any) has finished. */
  stop(): Promise<void>;
  /** Closures held in this process's memory because the store would not take them. */
  held(): number;
}

const announcedMax = 1_000;

export function createSummaryDeliverer(deps: SummaryDeps): SummaryDeliverer {
  const attempts = createSummaryAttempts(deps);
  const { known } = attempts;
  /** Ids this process is posting live right now: the replay leaves them alone. */
  const live = new Set<string>();
  /** Confirmed closures the store would not take (and Slack neither): nobody else knows of them. */
  const held = new Map<string, PendingSummary>();
  const heldMax = deps.heldMax ?? 1_000;
  // A live post claims its summary milliseconds after writing it: leave a summary this young (and not
  // ours) to the live post that is surely under way, instead of racing it for the claim.
  const freshMs = Math.min(deps.claimTtlMs, 10_000);
  let timer: NodeJS.Timeout | undefined;
  let replaying: Promise<void> | undefined;
  let stopping = false;
  /**
   * Incidents each list's summary announced from this process (the last 1,000 lists): a
   * close intent left in the outbox because the store failed as its summary was posted (a list's intents
   * have ids of their own, which the history look-up cannot match) is not announced a second time.
   */
  const announced = new Map<string, Set<string>>();
  const remember = (p: PendingSummary) => {
    // The feed's copy announces nothing in the channel the intent would be posted in. A single close's
    // intent shares its summary's id, which the history look-up finds: only lists are remembered.
    if (p.id.endsWith('.feed') || !p.items) return;
    const numbers = p.items.map((c) => c.incidentNumber);
    announced.set(p.requestId, new Set([...(announced.get(p.requestId) ?? []), ...numbers]));
    if (announced.size > announcedMax) announced.delete(announced.keys().next().value as string);
  };
  const wasAnnounced = (p: PendingSummary) => announced.get(p.requestId)?.has(p.closure.incidentNumber) === true;

  async function deliver(p: PendingSummary): Promise<SummaryDelivery> {
    const log = deps.log.child({ requestId: p.requestId, incident: p.closure.incidentNumber });
    live.add(p.id);
    try {
      let stored = true;
      try {
        await deps.store.outbox.put(p);
      } catch (e) {
        // Still post: the closure happened. Only crash-safety is lost for this one summary.
        stored = false;
        deps.observe?.('put_failed');
        log.error({ err: e }, 'could not record the closure in the outbox before posting');
      }
      let a = await attempts.attempt(p, { lookFirst: false, recheck: false, onClaimError: 'post' });
      if (a.kind === 'busy') a = await attempts.awaitHolder(p);
      if (a.kind === 'posted' || a.kind === 'found') remember(p);
      return await deliveryOf(p, a, stored, log);
    } finally {
      live.delete(p.id);
    }
  }

  async function deliveryOf(p: PendingSummary, a: Attempt, stored: boolean, log: Log): Promise<SummaryDelivery> {
    const channelId = p.channelId;
    if (a.kind === 'posted' || a.kind === 'found') {
      log.info({ channel: channelId }, 'closure summary posted');
      return { status: 'posted', channelId };
    }
    if (a.kind === 'gone') {
      const seen = await deps.findPosted?.(p).catch(() => undefined);
      return seen?.seen === 'posted' ? { status: 'posted', channelId } : { status: 'handled_elsewhere', channelId };
    }
    if (a.kind !== 'failed') {
      log.warn({ channel: channelId }, 'another holder kept the summary; it stays pending');
      return { status: 'not_posted', channelId, slackError: 'claimed_elsewhere', willRetry: true };
    }
    const { slackError, permanent } = a.result;
    log.warn({ channel: channelId, slackError, permanent, stored }, 'summary not posted');
    if (permanent || stored) return { status: 'not_posted', channelId, slackError, willRetry: !permanent };
    if (held.size < heldMax && !stopping) {
      held.set(p.id, p);
      log.error({ channel: channelId, held: held.size }, 'summary held in memory until Slack or the store takes it');
      return { status: 'not_posted', channelId, slackError, willRetry: true, heldInMemory: true };
    }
    deps.observe?.('dropped');
    log.error({ channel: channelId, heldMax, stopping }, 'summary dropped: the store is down and it cannot be held');
    return { status: 'not_posted', channelId, slackError, willRetry: false };
  }

  /** Closures held in memory: into the store when it is back, else posted (without a claim: only we know them). */
  async function replayHeld(): Promise<number> {
    let posted = 0;
    for (const p of [...held.values()]) {
      const log = deps.log.child({ requestId: p.requestId, incident: p.closure.incidentNumber });
      try {
        await deps.store.outbox.put(p);
        held.delete(p.id);
        log.info('held summary saved to the outbox');
        continue;
      } catch {
        // Still down: post it ourselves.
      }
      const lookFirst = known.get(p.id) !== 'absent';
      const a = await attempts.attempt(p, { lookFirst, recheck: false, onClaimError: 'post', claim: false });
      if (a.kind === 'later' || (a.kind === 'failed' && !a.result.permanent)) continue;
      held.delete(p.id);
      if (a.kind === 'posted' || a.kind === 'found') remember(p);
      if (a.kind === 'posted') posted += 1;
      if (a.kind === 'failed') await notifyNever(p, a.result.slackError);
    }
    return posted;
  }

  async function notifyNever(p: PendingSummary, slackError: string): Promise<void> {
    deps.log.error({ requestId: p.requestId, slackError }, 'pending summary can never be posted');
    await deps.notifyNotPosted(p, slackError).catch(() => {});
  }

  async function replayPending(): Promise<number> {
    await attempts.removeLeftovers();
    let posted = await replayHeld();
    let pending: PendingSummary[];
    try {
      pending = await deps.store.outbox.list();
    } catch (e) {
      deps.observe?.('list_failed');
      deps.log.warn({ err: e }, 'cannot read pending summaries from the store; will try again');
      return posted;
    }
    attempts.forgetAllBut([...pending.map((p) => p.id), ...held.keys()]);
    for (let p of pending) {
      // Its live post is under way in this process, or (fresh, not ours) probably in another instance.
      if (live.has(p.id) || attempts.leftover(p.id)) continue;
      if (p.unconfirmed) {
        // Its closure was announced from here already, its intent left behind by a store that failed.
        if (wasAnnounced(p)) {
          await deps.store.outbox.remove(p.id).catch(() => {});
          continue;
        }
        // A close not yet answered (or cut off by a crash): posted only once D3 proves it.
        const v = await deps.resolveIntent?.(p).catch(() => 'later' as const);
        if (v === 'drop') await deps.store.outbox.remove(p.id).catch(() => {});
        if (!v || typeof v === 'string') continue;
        if (
          !(await deps.store.outbox.put(v).then(
            () => true,
            () => false,
          ))
        )
          continue;
        p = v;
      } else if (!known.has(p.id) && Date.now() - Date.parse(p.createdAt) < freshMs) continue;
      const lookFirst = known.get(p.id) !== 'absent';
      const a = await attempts.attempt(p, { lookFirst, recheck: true, onClaimError: 'later' }).catch(() => undefined);
      if (a?.kind === 'posted') posted += 1;
      else if (a?.kind === 'failed' && a.result.permanent) await notifyNever(p, a.result.slackError);
    }
    if (posted > 0) deps.log.info({ posted }, 'pending closure summaries posted');
    return posted;
  }

  return {
    deliver,
    replayPending,
    held: () => held.size,
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
      stopping = true;
      clearTimeout(timer);
      timer = undefined;
      // A post cut off by the store closing would stay in the outbox and be posted again at the next start.
      await replaying;
      for (const p of [...held.values()])
        await deps.store.outbox.put(p).then(
          () => held.delete(p.id),
          () => {},
        );
      if (held.size > 0) {
        const incidents = [...held.values()].map((p) => p.closure.incidentNumber);
        deps.log.error({ incidents }, 'closures held in memory are lost at shutdown: post their summaries by hand');
      }
    },
  };
}
