import type { Log } from '../log.ts';
import type { CloseRequest } from './close-incident.ts';
import type { CloseQueueDeps } from './close-queue.ts';
import type { CloseErrorCode } from './errors.ts';
import type { QueuedClose } from './ports.ts';
import type { Outcome } from './types.ts';

/** What the takeover needs from its queue (close-queue.ts): its deps, and a view of its state. */
export interface TakeoverContext
  extends Pick<CloseQueueDeps, 'store' | 'instanceId' | 'claimTtlMs' | 'busy' | 'tell' | 'track'> {
  log: Log;
  claimKey(id: string): string;
  isStopping(): boolean;
  isRunning(id: string): boolean;
  start(
    req: CloseRequest,
    entry: QueuedClose,
    resumed: boolean,
    tell: ((o: Outcome) => Promise<void>) | undefined,
  ): Promise<Outcome>;
}

const untold = new Set<CloseErrorCode>(['close_handed_over', 'duplicate_request']);

/**
 * One scan: every stored close no live instance claims is claimed, read again under the claim, and run
 * here (its analyst told the outcome), or, when D3 already confirmed it (the outbox), only told. Stops
 * while this instance's D3 queue is full; the next scan goes on.
 */
export async function takeOverStored(t: TakeoverContext): Promise<number> {
  const { store, instanceId, claimKey, log } = t;
  let taken = 0;
  const entries = await store.queue.list().catch((e) => {
    log.warn({ err: e }, 'queued closes not listed; retrying at the next interval');
    return [];
  });
  // A close whose closure D3 confirmed is in the outbox (its summary is the replay's to post): D3 is
  // not asked again, the analyst is only told.
  // A close intent (close-intent.ts) shares the id but proves nothing: only a confirmed entry counts.
  const outbox = entries.length === 0 ? [] : await store.outbox.list().catch(() => []);
  const confirmed = new Map(outbox.filter((p) => !p.unconfirmed).map((p) => [p.id, p] as const));
  for (const listed of entries) {
    if (t.isStopping() || t.isRunning(listed.id)) continue;
    if (t.busy?.()) break;
    const claim = await store.locks.acquire(claimKey(listed.id), instanceId, t.claimTtlMs).catch(() => undefined);
    if (!claim?.acquired || t.isRunning(listed.id)) continue;
    // Read again under the claim: the listing may predate its owner finishing (and removing) it.
    const entry = await store.queue.get(listed.id).catch(() => undefined);
    if (!entry) {
      await store.locks.release(claimKey(listed.id), instanceId).catch(() => {});
      continue;
    }
    taken++;
    const { request } = entry;
    const pending = confirmed.get(entry.id);
    if (pending) {
      await t.tell(entry, { ok: true, closure: pending.closure, d3Username: pending.d3Username });
      await store.queue.remove(entry.id).catch(() => {});
      await store.locks.release(claimKey(entry.id), instanceId).catch(() => {});
      continue;
    }
    log.info(
      { requestId: entry.id, incident: request.incidentNumber, attempted: entry.attemptedAt !== undefined },
      'taking over a queued close its instance left',
    );
    // Not told: handed over again (the next taker-over tells), or stopped by its request's mark, which a
    // replay of it or a card's Cancel spent (that request, or the Cancel, told the analyst).
    const tell = async (outcome: Outcome) => {
      if (outcome.ok || !untold.has(outcome.error.code)) await t.tell(entry, outcome);
    };
    const work = t.start({ ...request, responseUrl: entry.responseUrl }, entry, true, tell);
    t.track?.(work, request.incidentNumber);
    work.catch((e) => log.error({ err: e, requestId: entry.id }, 'taken-over close failed unexpectedly'));
  }
  return taken;
}
