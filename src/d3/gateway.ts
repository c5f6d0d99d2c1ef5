import { CloseError, isCloseError } from '../domain/errors.ts';
import type { Closure } from '../domain/types.ts';
import { closureFromState, judgeClosedState, notCredited } from './attribution.ts';
import type { D3Client } from './client.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { CloseCommand, D3Gateway, IncidentState } from './types.ts';

/** pino-compatible: `log.info({ requestId, … }, 'message')`. */
export interface GatewayLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface D3GatewayOptions {
  client: D3Client;
  limiter: RateLimiter;
  /** No retry starts (or waits) past this many ms after closeIncident was called. */
  retryDeadlineMs: number;
  /** How far D3's clock may lag ours when DateClosed is compared with our first call (D3_CLOCK_SKEW_MS). */
  clockSkewMs: number;
  /** D3_TIMEZONE: the zone of a DateClosed that names none; without it such a date never proves "ours". */
  timeZone?: string;
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

type Call = 'close' | 'state';

/** One closeIncident call: its deadline and when its first close left, for the evidence of point 2. */
interface Run {
  cmd: CloseCommand;
  deadline: number;
  firstSentAt?: number;
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
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = o.random ?? Math.random;
  const base = o.backoffBaseMs ?? 250;
  const cap = o.backoffCapMs ?? 8_000;
  let destroyed = false;

  const retryable = (e: CloseError) =>
    !destroyed && (e.detail.notSent === true || e.code === 'd3_rate_limited' || e.code === 'd3_unavailable');

  /** Equal jitter (half fixed, half random) so retries spread out yet never come back at once. */
  function delayFor(e: CloseError, attempt: number): number {
    const exp = Math.min(cap, base * 2 ** (attempt - 1));
    const jittered = exp / 2 + random() * (exp / 2);
    if (e.detail.retryAfterS !== undefined) return Math.max(e.detail.retryAfterS * 1000, jittered);
    return e.code === 'd3_rate_limited' ? Math.max(1000, jittered) : jittered;
  }

  async function withRetries<T>(call: Call, run: Run, fn: () => Promise<T>): Promise<T> {
    const ctx = { requestId: run.cmd.requestId, incidentNumber: run.cmd.incidentNumber, call };
    for (let attempt = 1; ; attempt++) {
      let started = now();
      try {
        await o.limiter.acquire();
        if (call === 'close') {
          // Once the incident's lock is lost another request may be closing it: send nothing more.
          if (run.cmd.signal?.aborted) throw new CloseError('lock_lost', { reason: 'lock lost before a close' });
          run.firstSentAt ??= wallNow();
        }
        started = now();
        const out = await fn();
        log.info({ ...ctx, attempt, status: 200, latencyMs: now() - started }, 'D3 call answered');
        return out;
      } catch (e) {
        if (!isCloseError(e)) throw e;
        const wait = retryable(e) ? delayFor(e, attempt) : undefined;
        const willRetry = wait !== undefined && now() + wait <= run.deadline;
        const fields = { ...ctx, attempt, status: e.detail.status, code: e.code, latencyMs: now() - started };
        log.warn(
          { ...fields, reason: e.detail.reason, willRetry, waitMs: willRetry ? wait : undefined },
          'D3 call failed',
        );
        if (!willRetry) throw e;
        await sleep(wait);
      }
    }
  }

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
    const state = await stateOf(run).catch(() => undefined);
    if (state?.closed) return credit(run, state);
    if (state) throw e;
    throw new CloseError('d3_outcome_unknown', { ...first.detail, stateUnread: true, reason: `resend: ${e.code}` });
  }

  async function close(run: Run): Promise<Closure> {
    const { cmd } = run;
    const ctx = { requestId: cmd.requestId, incidentNumber: cmd.incidentNumber };
    let unknown: CloseError | undefined;
    for (let sends = 1; ; sends++) {
      let closure: Closure | undefined;
      try {
        closure = await withRetries('close', run, () => o.client.close(cmd));
      } catch (e) {
        if (unknown && isCloseError(e) && !unknownOf(e) && e.code !== 'lock_lost') return afterResend(run, e, unknown);
        unknown = unknownOf(e);
        if (!unknown) throw e;
      }
      if (closure && !closure.alreadyClosed) return closure;
      if (closure && !unknown) return enrich(cmd, closure);
      let state: IncidentState;
      try {
        state = await stateOf(run);
      } catch (e) {
        log.error({ ...ctx, code: isCloseError(e) ? e.code : 'internal' }, 'close outcome unknown; state check failed');
        if (closure) throw new CloseError('closed_unconfirmed', { reason: 'already closed; state unreadable' });
        const detail = { ...unknown?.detail, stateUnread: true, reason: 'state check failed' };
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

  return {
    async closeIncident(cmd) {
      if (destroyed) throw new CloseError('d3_unavailable', { notSent: true, reason: 'shutting down' });
      log.info(
        { requestId: cmd.requestId, incidentNumber: cmd.incidentNumber, noteLength: cmd.note.length },
        'closing incident in D3',
      );
      return close({ cmd, deadline: now() + o.retryDeadlineMs });
    },
    async confirmClosure(cmd, sentAt) {
      const run: Run = { cmd, deadline: now() + o.retryDeadlineMs, firstSentAt: sentAt };
      const state = await stateOf(run);
      if (!state.closed) return undefined;
      const judged = judgeClosedState(state, cmd, sentAt, { ...o, checkedAt: wallNow() });
      log.info({ requestId: cmd.requestId, incidentNumber: cmd.incidentNumber, ...judged }, 'closure checked in D3');
      return judged.by === 'this_request' ? closureFromState(cmd, state) : undefined;
    },
    queueDepth: () => o.limiter.depth(),
    async destroy() {
      destroyed = true;
      o.limiter.close();
      await o.client.destroy();
    },
  };
}
