import { CloseError, isCloseError, isStopRefusal } from '../domain/errors.ts';
import type { CloseCommand, D3Gateway, IncidentState } from '../domain/ports.ts';
import type { Closure } from '../domain/types.ts';
import { closureFromState, judgeClosedState, notCredited } from './attribution.ts';
import { createBulkCloser } from './bulk.ts';
import type { D3Client } from './client.ts';
import { createFieldSetter } from './fields.ts';
import { type RateLimiter, shuttingDown } from './rate-limit.ts';
import { createRetrier, type GatewayLog, type Run } from './retry.ts';

export interface D3GatewayOptions {
  client: D3Client;
  limiter: RateLimiter;
  /** No retry starts (or waits) past this many ms after closeIncident was called. */
  retryDeadlineMs: number;
  /** How far D3's clock may lag ours when DateClosed is compared with our first call (D3_CLOCK_SKEW_MS). */
  clockSkewMs: number;
  /** D3_TIMEZONE: the zone of a DateClosed that names none; without it such a date never proves "ours". */
  timeZone?: string;
  /** D3_CLOSE_COMMAND and D3_BULK_CHUNK, for closing many incidents (bulk.ts). */
  closeCommand?: 'CloseIncident' | 'CloseIncidentInBulk';
  bulkChunk?: number;
  log?: GatewayLog;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Monotonic-ish time for deadlines and latencies (tests pass a virtual one). */
  now?: () => number;
  /** Wall-clock time, compared with D3's DateClosed. */
  wallNow?: () => number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
}

const silent: GatewayLog = { info() {}, warn() {}, error() {} };

/**
 * The close POST is not idempotent (a repeat may append the note twice), so it is retried only where
 * D3 certainly did not act: the request never left (notSent), 429, 503. Otherwise the incident's state
 * decides. After a transport failure (timeout after sending, reset, 5xx) an open incident gets one more
 * close; after an answer that proves nothing (d3Answered, or an unreadable 200) an open incident is
 * reported as not closed, since a repeat would get the same answer. A closed incident is credited to
 * this request only with evidence (attribution.ts); "already closed" after an earlier unknown outcome
 * is judged the same way, since the likeliest truth is that our first close landed.
 */
export function createD3Gateway(o: D3GatewayOptions): D3Gateway {
  const log = o.log ?? silent;
  const now = o.now ?? Date.now;
  const wallNow = o.wallNow ?? Date.now;
  let destroyed = false;

  const withRetries = createRetrier({
    limiter: o.limiter,
    log,
    now,
    wallNow,
    sleep: o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
    random: o.random ?? Math.random,
    backoffBaseMs: o.backoffBaseMs ?? 250,
    backoffCapMs: o.backoffCapMs ?? 8_000,
    stopped: () => destroyed || o.limiter.isClosed(),
  });

  const stateOf = (run: Run) =>
    withRetries('state', run, () =>
      o.client.getState({
        username: run.cmd.username,
        site: run.cmd.site,
        incidentNumber: run.cmd.incidentNumber,
        requestId: run.cmd.requestId,
      }),
    );

  /** D3 shows the incident closed after an unknown outcome: ours only with evidence, else say what D3 shows. */
  function credit(run: Run, state: IncidentState): Closure {
    const { cmd } = run;
    const judged = judgeClosedState(state, cmd, run.firstSentAt, { ...o, checkedAt: wallNow() });
    const fields = { requestId: cmd.requestId, incidentNumber: cmd.incidentNumber, ...judged };
    log.info({ ...fields, closedBy: state.closedBy, dateClosed: state.dateClosed }, 'D3 shows the incident closed');
    if (judged.by === 'this_request') return closureFromState(cmd, state);
    throw notCredited(judged, state);
  }

  /** "Already closed" on the first call is an answer; who closed it and when come from the state (best effort). */
  async function enrich(cmd: CloseCommand, closure: Closure): Promise<Closure> {
    try {
      await o.limiter.acquire();
      const state = await o.client.getState({ ...cmd });
      if (!state.closed) {
        // D3's own state contradicts its words ("not found or already closed"): the words are not the truth.
        log.warn({ requestId: cmd.requestId, status: state.status }, 'D3 said already closed, yet shows it open');
        const detail = { d3Message: closure.d3Said, reason: 'already closed, yet open' };
        throw new CloseError('d3_still_open', detail);
      }
      const { partial, d3Said: _, ...rest } = closure;
      return {
        ...rest,
        ...(state.closedBy && { closedBy: state.closedBy }),
        ...(state.dateClosed && { closeDate: state.dateClosed }),
        ...(partial && !state.closedBy && { partial }),
      };
    } catch (e) {
      if (isCloseError(e) && e.code === 'd3_still_open') throw e;
      log.warn({ requestId: cmd.requestId, code: isCloseError(e) ? e.code : 'internal' }, 'already closed; no state');
      return closure;
    }
  }

  // An unreadable 200 is an answer too: D3 got the request, and the state tells what it did.
  const unknownOf = (e: unknown): CloseError | undefined => {
    if (!isCloseError(e)) return undefined;
    if (e.code === 'd3_outcome_unknown') return e;
    if (e.code !== 'd3_bad_reply') return undefined;
    return new CloseError('d3_outcome_unknown', { ...e.detail, d3Answered: true }, { cause: e });
  };

  /**
   * The resend after an unknown outcome failed (429s to the deadline, a full queue, a refusal worded
   * otherwise than "already closed"): the first close may still have landed, late. The state decides;
   * without it, the outcome stays unknown rather than "not closed".
   */
  async function afterResend(run: Run, e: CloseError, first: CloseError): Promise<Closure> {
    const read = await stateOf(run).then(
      (state) => ({ state }),
      (unread: unknown) => ({ state: undefined, unread }),
    );
    const { state } = read;
    if (state?.closed) return credit(run, state);
    if (state) throw e;
    const unread = 'unread' in read ? read.unread : undefined;
    const detail = { ...first.detail, stateUnread: true, reason: `resend: ${e.code}`, ...stopMark(unread) };
    throw new CloseError('d3_outcome_unknown', detail);
  }

  /**
   * A state check the stop refused learned nothing, and the close's stored "attempted" mark makes whoever
   * takes it over read the state again: the unknown outcome carries the stop's mark, so a queued close is
   * handed over (close-queue.ts) instead of told "check D3" and forgotten; one held in memory stays unknown.
   */
  const stopMark = (e: unknown) => (isCloseError(e) && isStopRefusal(e) ? { stopping: true } : {});

  /** `first`: the answer to a first close already sent (one incident of a bulk call), judged by the same rules. */
  async function close(run: Run, first?: () => Promise<Closure>): Promise<Closure> {
    const { cmd } = run;
    const ctx = { requestId: cmd.requestId, incidentNumber: cmd.incidentNumber };
    let unknown: CloseError | undefined;
    // Taken over from an instance that may have sent the close: as after a lost reply, the state decides.
    let resumed = cmd.attemptedAt !== undefined;
    for (let sends = 1; ; sends++) {
      let closure: Closure | undefined;
      try {
        if (resumed) throw new CloseError('d3_outcome_unknown', { reason: 'taken over after its instance stopped' });
        closure = await (sends === 1 && first ? first() : withRetries('close', run, () => o.client.close(cmd)));
      } catch (e) {
        if (unknown && isCloseError(e) && !unknownOf(e) && e.code !== 'lock_lost') return afterResend(run, e, unknown);
        unknown = unknownOf(e);
        if (!unknown) throw e;
      }
      resumed = false;
      if (closure && !closure.alreadyClosed) return closure;
      if (closure && !unknown) return enrich(cmd, closure);
      let state: IncidentState;
      try {
        state = await stateOf(run);
      } catch (e) {
        log.error({ ...ctx, code: isCloseError(e) ? e.code : 'internal' }, 'close outcome unknown; state check failed');
        if (closure) throw new CloseError('closed_unconfirmed', { reason: 'already closed; state unreadable' });
        const detail = { ...unknown?.detail, stateUnread: true, reason: 'state check failed', ...stopMark(e) };
        throw new CloseError('d3_outcome_unknown', detail, { cause: e });
      }
      if (state.closed) return credit(run, state);
      if (closure) throw new CloseError('d3_outcome_unknown', { reason: 'D3 said already closed, yet shows it open' });
      if (unknown?.detail.d3Answered) {
        const { d3Message, status, reason } = unknown.detail;
        log.warn({ ...ctx, status: state.status }, 'D3 answered without closing it; D3 shows it open');
        throw new CloseError('d3_still_open', { d3Message, status, reason });
      }
      if (sends >= 2) throw unknown ?? new CloseError('d3_outcome_unknown');
      log.warn(
        { ...ctx, status: state.status },
        'close outcome unknown; D3 shows it open, sending the close once more',
      );
    }
  }

  const closeIncident = (cmd: CloseCommand): Promise<Closure> => {
    if (destroyed) return Promise.reject(shuttingDown());
    log.info(
      { requestId: cmd.requestId, incidentNumber: cmd.incidentNumber, noteLength: cmd.note.length },
      'closing incident in D3',
    );
    return close({ cmd, deadline: now() + o.retryDeadlineMs, firstSentAt: cmd.attemptedAt });
  };
  const bulk = createBulkCloser({
    command: o.closeCommand ?? 'CloseIncident',
    chunkSize: o.bulkChunk ?? 50,
    retryDeadlineMs: o.retryDeadlineMs,
    now,
    closeBulk: (cmds) => o.client.closeBulk(cmds),
    withRetries,
    closeIncident,
    settle: close,
  });

  return {
    closeIncident,
    closeIncidents: bulk.closeIncidents,
    async confirmClosure(cmd, sentAt) {
      const run: Run = { cmd, deadline: now() + o.retryDeadlineMs, firstSentAt: sentAt };
      const state = await stateOf(run);
      if (!state.closed) return undefined;
      const judged = judgeClosedState(state, cmd, sentAt, { ...o, checkedAt: wallNow() });
      log.info({ requestId: cmd.requestId, incidentNumber: cmd.incidentNumber, ...judged }, 'closure checked in D3');
      return judged.by === 'this_request' ? closureFromState(cmd, state) : undefined;
    },
    // The preview: one slot, one call, no retry; a failure is the caller's to shrug off (domain/preview.ts).
    async readIncident(q) {
      if (destroyed) throw shuttingDown();
      await o.limiter.acquire();
      return o.client.getState(q);
    },
    setIncidentFields: createFieldSetter({
      client: o.client,
      withRetries,
      retryDeadlineMs: o.retryDeadlineMs,
      now,
      log,
    }),
    queueDepth: () => o.limiter.depth(),
    async destroy() {
      destroyed = true;
      o.limiter.close();
      await o.client.destroy();
    },
  };
}
