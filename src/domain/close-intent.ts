import type { Log } from '../log.ts';
import type { AuditTrail } from './audit.ts';
import type { CloseRequest } from './close-incident.ts';
import type { D3Gateway, Store } from './ports.ts';
import type { Identity, PendingSummary } from './types.ts';

/** The per-incident lock every close of `incidentNumber` holds (close-incident.ts) and a replay takes. */
export const incidentLockKey = (incidentNumber: string) => `incident:${incidentNumber.toUpperCase()}`;

/**
 * What the outbox holds while a close is sent: D3 may close the incident and the app die before it
 * hears the answer. Overwritten by the confirmed summary (same id), or removed when the close fails.
 */
export function closeIntent(req: CloseRequest, identity: Identity): PendingSummary {
  return {
    id: req.requestId,
    channelId: req.channelId,
    slackUserId: req.slackUserId,
    d3Username: identity.username,
    closure: { incidentNumber: req.incidentNumber, site: identity.site, note: req.note },
    requestId: req.requestId,
    createdAt: new Date().toISOString(),
    unconfirmed: identity.displayName ? { d3DisplayName: identity.displayName } : {},
  };
}

const lists = (summary: PendingSummary, intent: PendingSummary) =>
  (summary.items ?? [summary.closure]).some((c) => c.incidentNumber === intent.closure.incidentNumber);

export type IntentVerdict = PendingSummary | 'drop' | 'later';

/**
 * A close intent left in the outbox: its close died with its process, or is still running. Only when
 * the incident's lock is free (nobody is closing it) and the intent is still there, D3's state decides:
 * closed by this request (dated after the intent, by its D3 user, and no later request of the bot
 * closed it) → the confirmed summary to post; open, someone else's or unproven → drop; D3 or the
 * store unreadable → later.
 */
export function createIntentResolver(deps: {
  store: Pick<Store, 'locks' | 'outbox' | 'audit' | 'queue'>;
  d3: Pick<D3Gateway, 'confirmClosure'>;
  /** The settled attempt is put on record: the close that died with its process wrote none. */
  auditTrail?: AuditTrail;
  lockTtlMs: number;
  log: Log;
}) {
  return async (p: PendingSummary): Promise<IntentVerdict> => {
    // While its close is in the durable queue (close-queue.ts), the queue finishes it: not ours to settle.
    if (await deps.store.queue.get(p.id).catch(() => 'unknown' as const)) return 'later';
    const key = incidentLockKey(p.closure.incidentNumber);
    // Named after the analyst whose close this settles: a close of the incident meanwhile is told who holds it.
    const holder = `${p.slackUserId}/replay-${p.id}`;
    const lock = await deps.store.locks.acquire(key, holder, deps.lockTtlMs);
    if (!lock.acquired) return 'later';
    try {
      const outbox = await deps.store.outbox.list();
      const still = outbox.find((q) => q.id === p.id);
      if (!still?.unconfirmed) return 'later';
      // A bulk close's one summary already lists this incident: that post announces it. Any of its entries
      // counts: the channel's (the request's id), the feed's copy (`.feed`) or the fallback (`.origin`), put
      // after the channel's, so the copy pending alone means the channel's went out. A single close's
      // intent (the request's id) is its own summary's entry, overwritten by it: not concerned.
      if (
        p.id !== p.requestId &&
        outbox.some((q) => q.requestId === p.requestId && q.id !== p.id && !q.unconfirmed && lists(q, p))
      )
        return 'drop';
      // A later request closed it (and announced it): D3's closed state is that request's, not this one's.
      const since = p.createdAt;
      const attempts = await deps.store.audit.history(p.closure.incidentNumber, 20);
      if (attempts.some((r) => r.outcome === 'closed' && r.requestId !== p.requestId && r.at >= since)) return 'drop';
      const displayName = p.unconfirmed?.d3DisplayName;
      const cmd = {
        username: p.d3Username,
        site: p.closure.site,
        incidentNumber: p.closure.incidentNumber,
        note: p.closure.note,
        requestId: p.requestId,
        ...(displayName && { displayName }),
      };
      const closure = await deps.d3.confirmClosure(cmd, Date.parse(p.createdAt));
      const log = deps.log.child({ requestId: p.requestId, incident: p.closure.incidentNumber });
      log.warn({ closed: closure !== undefined }, 'a close cut off before D3 answered, checked in D3');
      await deps.auditTrail?.record(
        {
          requestId: p.requestId,
          incidentNumber: p.closure.incidentNumber,
          slackUserId: p.slackUserId,
          note: p.closure.note,
        },
        {
          outcome: closure ? 'closed' : 'unknown',
          code: closure ? 'settled_after_restart' : 'cut_off_unproven',
          identity: { username: p.d3Username, site: p.closure.site },
        },
        log,
      );
      if (!closure) return 'drop';
      const { unconfirmed: _, ...rest } = p;
      return { ...rest, closure };
    } catch {
      return 'later';
    } finally {
      await deps.store.locks.release(key, holder).catch(() => {});
    }
  };
}
