/**
 * A bulk close's checks before D3 is asked to close, per incident and under its lock, exactly as a
 * single close makes them (preview.ts): the preview read (already closed? another site?) and the close
 * reason, which must be set before that incident is closed. At most 20 incidents are checked at once,
 * so one list cannot fill D3's queue alone.
 */

import type { Log } from '../log.ts';
import type { BulkItem } from './bulk-items.ts';
import { type CloseDeps, type CloseRequest, SEEN_CLOSED } from './close-incident.ts';
import { closeIntent } from './close-intent.ts';
import type { Disposition } from './disposition.ts';
import type { CloseCommand } from './ports.ts';
import { type BeforeClose, beforeClose, type PreviewDeps, type PreviewReader } from './preview.ts';
import type { AuditOutcome, Closure, Identity } from './types.ts';

const IN_FLIGHT = 20;

interface Checked {
  item: BulkItem;
  lock: { signal: AbortSignal };
  audit(outcome: AuditOutcome, identity?: Identity, code?: string): Promise<void>;
  /** What the preview and the reason add to this incident's closure. */
  extra?: Pick<Closure, 'title' | 'severity' | 'disposition'>;
}

/**
 * The incidents that may be sent to D3, each with what its closure gains; the others get their outcome
 * (already closed, another site, reason not set) and their audit record here.
 */
export async function checkHeld<H extends Checked>(
  preview: PreviewDeps | undefined,
  read: PreviewReader | undefined,
  identity: Identity,
  held: H[],
  c: { requestId: string; note: string; disposition?: Disposition },
): Promise<H[]> {
  if (!preview || !read) return held;
  const ahead: (BeforeClose | undefined)[] = new Array(held.length).fill(undefined);
  let next = 0;
  const worker = async () => {
    while (next < held.length) {
      const i = next++;
      const h = held[i] as H;
      ahead[i] = await beforeClose(preview, read, { ...c, identity, ...h.item, signal: h.lock.signal });
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, held.length) }, worker));
  const go: H[] = [];
  for (const [i, h] of held.entries()) {
    const pre = ahead[i];
    if (!pre || pre.go) {
      if (pre) h.extra = pre.extra;
      go.push(h);
    } else if ('alreadyClosed' in pre) {
      h.item.outcome = { ok: true, closure: pre.alreadyClosed, d3Username: identity.username };
      await h.audit('already_closed', identity);
    } else {
      h.item.outcome = { ok: false, error: pre.error };
      await h.audit(pre.error.code === 'incident_other_site' ? 'refused' : 'failed', identity, pre.auditCode);
    }
  }
  return go;
}

// As a single close's: Slack redelivers within minutes and a form is submitted twice within seconds.
const dedupeTtlMs = 60 * 60 * 1000;

/**
 * True when this delivery is the first to ask for the incident, false for a repeat (a Slack retry, a
 * second submit of the same form), undefined when the store could not tell.
 */
export async function markItem(deps: Pick<CloseDeps, 'store'>, dedupeKey: string | undefined, n: string, log: Log) {
  if (!dedupeKey) return true;
  return deps.store.once(`request:${dedupeKey}:${n}`, dedupeTtlMs).catch((e: unknown) => {
    log.warn({ err: e, incident: n }, 'could not tell whether the incident was already asked for; not sent');
    return undefined;
  });
}

/** The close command for one incident of the list, under its lock. */
export async function commandFor(
  deps: Pick<CloseDeps, 'store'>,
  req: { note: string; requestId: string },
  identity: Identity,
  n: string,
  signal: AbortSignal,
) {
  // Without the store's answer, assume the worst: a closed state is then reported, never credited.
  const closedRecently = await deps.store.cache
    .get<string>(SEEN_CLOSED, n.toUpperCase())
    .then((v) => v !== undefined)
    .catch(() => true);
  const cmd: CloseCommand = {
    username: identity.username,
    site: identity.site,
    incidentNumber: n,
    note: req.note,
    requestId: req.requestId,
    ...(identity.displayName && { displayName: identity.displayName }),
    signal,
    closedRecently,
  };
  return cmd;
}

/**
 * Close intents for the incidents about to be sent, one outbox entry each (`<requestId>:<number>`): should
 * the app die before the list's one summary is written, the replay asks D3 about each and announces what
 * this request closed (close-intent.ts). The replay leaves them while this request holds their locks.
 */
export function bulkIntents(
  store: CloseDeps['store'],
  req: Omit<CloseRequest, 'incidentNumber'>,
  identity: Identity,
  numbers: string[],
  log: Log,
) {
  const idOf = (n: string) => `${req.requestId}:${n}`;
  return {
    put: () =>
      Promise.all(
        numbers.map((n) =>
          store.outbox
            .put({ ...closeIntent({ ...req, incidentNumber: n }, identity), id: idOf(n) })
            .catch((e) => log.warn({ err: e, incident: n }, 'close intent not saved')),
        ),
      ),
    /** Once the list's summary is in the outbox (or nothing was closed): the intents have done their job. */
    drop: () => Promise.all(numbers.map((n) => store.outbox.remove(idOf(n)).catch(() => {}))),
  };
}
