/** A bulk close's results as they arrive, the limit on its size, and its refusal in the acknowledgement. */

import type { Log } from '../log.ts';
import type { AuditSubject } from './audit.ts';
import type { BulkCloseRequest } from './bulk-close.ts';
import { CloseError, type CloseErrorCode } from './errors.ts';
import { STORE_BEFORE_ACK_MS } from './limits.ts';
import type { SummaryDeliverer } from './summaries.ts';
import type { Closure, Outcome, PendingSummary, SummaryDelivery } from './types.ts';

/** One incident of a bulk close; `outcome` is absent while its result is not known yet. */
export interface BulkItem {
  incidentNumber: string;
  outcome?: Outcome;
}

/** A bulk close refused as a whole (too many, policy, a redelivered request), or each incident's result. */
export type BulkOutcome =
  | { ok: true; items: BulkItem[]; delivery?: SummaryDelivery }
  | { ok: false; error: CloseError };

/** Called each time an incident's result is known (the items are live: copy what you keep). */
export type BulkProgress = (items: readonly BulkItem[]) => void;

/** BULK_MAX: more numbers than that is refused whole, saying the limit. */
export function bulkLimitError(numbers: readonly string[], max: number): CloseError | undefined {
  return numbers.length > max ? new CloseError('bulk_too_many', { count: numbers.length, limit: max }) : undefined;
}

export interface AcceptBulkDeps {
  bulkClose(req: BulkCloseRequest, onProgress?: BulkProgress): Promise<BulkOutcome>;
  d3Busy(): boolean;
  bulkMax: number;
  recordRefusal(req: AuditSubject, code: CloseErrorCode): Promise<void>;
  log: Log;
}

/** A list's first answer: "Closing N incidents…" once it is taken, or its refusal as a whole. */
export type FirstAnswer = { closing: number } | { refused: CloseError };

/**
 * A bulk close typed as a command: refused in the acknowledgement when the list is over BULK_MAX or
 * D3's queue is full (audited after the ack), else run and acknowledged with its first answer
 * (withFirstAnswer): a redelivered list is acknowledged "already received", never "Closing…". Undefined
 * when the acknowledgement carried the whole answer (a refusal).
 */
export function createAcceptBulkClose(deps: AcceptBulkDeps) {
  return async function acceptBulkClose(
    req: BulkCloseRequest,
    acknowledge: (a: FirstAnswer) => Promise<void>,
    onProgress?: BulkProgress,
  ): Promise<BulkOutcome | undefined> {
    const refusal =
      bulkLimitError(req.incidentNumbers, deps.bulkMax) ?? (deps.d3Busy() ? new CloseError('queue_full') : undefined);
    if (refusal) {
      await acknowledge({ refused: refusal });
      const [first = ''] = req.incidentNumbers;
      // Over the limit: one record (the list is refused whole); queue full: one per incident, as a close would.
      const audited = refusal.code === 'bulk_too_many' ? [first] : req.incidentNumbers;
      for (const n of audited) await deps.recordRefusal({ ...req, incidentNumber: n }, refusal.code);
      return undefined;
    }
    const log = deps.log.child({ requestId: req.requestId });
    const { outcome, answered } = await withFirstAnswer(
      (taken) => deps.bulkClose({ ...req, taken }, onProgress),
      acknowledge,
      { count: req.incidentNumbers.length, waitMs: STORE_BEFORE_ACK_MS, log },
    );
    if (answered === 'refused') return undefined;
    // Ended neither taken nor refused (no incident's mark could be read): Slack still needs its ack; the
    // outcome replaces it in place.
    if (!answered) await acknowledge({ closing: req.incidentNumbers.length });
    return outcome;
  };
}

/**
 * Runs a list and gives its first answer, once: "closing" when the list is taken (BulkCloseRequest.taken,
 * before any D3 call), its refusal when it is refused whole before that (the limit, the reason, the
 * policy, a redelivered list: "already received" with no "Closing…" before it), or "closing" for the whole
 * list after `waitMs` when neither has come by then (a slow store or identity look-up), so the analyst
 * hears at once that the request was taken and its acknowledgement stays inside Slack's 3 s. `answered`
 * says which was given: none when the list ended untaken and unrefused (no incident's mark could be read),
 * and the outcome is then the only answer. A first answer that cannot be sent stops nothing.
 */
export async function withFirstAnswer(
  run: (taken: (count: number) => Promise<void>) => Promise<BulkOutcome>,
  answer: (a: FirstAnswer) => Promise<void>,
  o: { count: number; waitMs: number; log: Log },
): Promise<{ outcome: BulkOutcome; answered?: 'closing' | 'refused' }> {
  let answered: 'closing' | 'refused' | undefined;
  let sent: Promise<void> = Promise.resolve();
  const give = (a: FirstAnswer): Promise<void> => {
    if (answered) return sent;
    answered = 'closing' in a ? 'closing' : 'refused';
    sent = answer(a).catch((e: unknown) => o.log.warn({ err: e }, "a list's first answer was not sent; it runs on"));
    return sent;
  };
  const slow = setTimeout(() => void give({ closing: o.count }), o.waitMs);
  const outcome = await run((count) => give({ closing: count })).finally(() => clearTimeout(slow));
  if (!answered && !outcome.ok) await give({ refused: outcome.error });
  await sent;
  return { outcome, ...(answered && { answered }) };
}

export type AcceptBulkClose = ReturnType<typeof createAcceptBulkClose>;

/**
 * At most one call of `fn` per `intervalMs` and at most `maxCalls` in all (a command's response_url
 * takes five uses in 30 minutes: a few progress updates and the final list). The last state asked for
 * is sent when the interval ends; `stop()` drops anything pending and waits for a call under way.
 */
export function throttle<T>(fn: (v: T) => Promise<void>, intervalMs: number, maxCalls: number) {
  let last = 0;
  let calls = 0;
  let timer: NodeJS.Timeout | undefined;
  let pending: T | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const fire = () => {
    timer = undefined;
    if (stopped || pending === undefined || calls >= maxCalls) return;
    const v = pending;
    pending = undefined;
    last = Date.now();
    calls += 1;
    running = running.then(() => fn(v)).catch(() => {});
  };
  return {
    push(v: T) {
      if (stopped) return;
      pending = v;
      if (timer) return;
      timer = setTimeout(fire, Math.max(0, last + intervalMs - Date.now()));
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/**
 * One summary for every incident this request closed (in the outbox first, like any summary); a
 * request that closed exactly one keeps the single close's summary.
 */
export async function announceClosed(
  summaries: SummaryDeliverer,
  req: BulkCloseRequest,
  d3Username: string,
  items: readonly BulkItem[],
): Promise<{ delivery?: SummaryDelivery }> {
  const closedItems = items.filter((it) => it.outcome?.ok && !it.outcome.closure.alreadyClosed);
  const closed: Closure[] = closedItems.flatMap((it) => (it.outcome?.ok ? [it.outcome.closure] : []));
  const [closure] = closed;
  if (!closure) return {};
  const pending: PendingSummary = {
    id: req.requestId,
    channelId: req.channelId,
    slackUserId: req.slackUserId,
    d3Username,
    closure,
    requestId: req.requestId,
    createdAt: new Date().toISOString(),
    ...(closed.length > 1 && { items: closed }),
    ...(req.threadTs && { threadTs: req.threadTs }),
  };
  const delivery = await summaries.deliver(pending);
  for (const it of closedItems) if (it.outcome?.ok) it.outcome.delivery = delivery;
  return { delivery };
}
