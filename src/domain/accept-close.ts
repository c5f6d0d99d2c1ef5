import type { AuditSubject } from './audit.ts';
import type { CloseRequest } from './close-incident.ts';
import { CloseError, type CloseErrorCode } from './errors.ts';
import type { Outcome } from './types.ts';

/** Answers Slack's request within its 3 s: with the refusal when the close is refused on the spot. */
export type Acknowledge = (refusal?: CloseError) => Promise<void>;

export interface AcceptCloseDeps {
  closeIncident(req: CloseRequest): Promise<Outcome>;
  /** True while the D3 queue is full: a close now would only be refused, so it is refused in the ack. */
  d3Busy(): boolean;
  recordRefusal(req: AuditSubject, code: CloseErrorCode): Promise<void>;
}

/**
 * A close typed as a command: refused in the acknowledgement itself when D3's queue is full (and the
 * refusal audited after the ack, which must not wait), else acknowledged once stored (close-queue.ts) and run. Undefined
 * when it was refused: the acknowledgement already told the analyst.
 */
export function createAcceptClose(deps: AcceptCloseDeps) {
  const refuseWhenBusy = createRefuseWhenBusy(deps);
  return async function acceptClose(req: CloseRequest, acknowledge: Acknowledge): Promise<Outcome | undefined> {
    const busy = refuseWhenBusy(req);
    if (busy) {
      await acknowledge(busy.refusal);
      await busy.record();
      return undefined;
    }
    const ack = acknowledgeOnce(() => acknowledge());
    // The queue acknowledges once the close is stored; whatever path the close takes, Slack gets its answer.
    // One that could not be sent is the queue's to report (close-queue.ts); the close's outcome stands.
    return deps.closeIncident({ ...req, acknowledge: ack }).finally(() => ack().catch(() => {}));
  };
}

/**
 * The refusal a close gets in its acknowledgement right now, decided synchronously: D3's queue is full.
 * An edge can so answer it before anything else runs (the HTTP receiver's early answer,
 * listeners/close-command.ts earlyCloseAnswer); `record` audits it, once the answer is on its way.
 */
export function createRefuseWhenBusy(deps: Pick<AcceptCloseDeps, 'd3Busy' | 'recordRefusal'>) {
  return (req: AuditSubject): { refusal: CloseError; record(): Promise<void> } | undefined => {
    if (!deps.d3Busy()) return undefined;
    const refusal = new CloseError('queue_full');
    return { refusal, record: () => deps.recordRefusal(req, refusal.code) };
  };
}

export type RefuseWhenBusy = ReturnType<typeof createRefuseWhenBusy>;

/** An acknowledgement sent at most once, however many paths reach it. */
export function acknowledgeOnce(send: () => Promise<unknown>): () => Promise<void> {
  let sent: Promise<void> | undefined;
  return () => {
    sent ??= send().then(() => {});
    return sent;
  };
}

export type AcceptClose = ReturnType<typeof createAcceptClose>;
