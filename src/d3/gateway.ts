import { CloseError, isCloseError } from '../domain/errors.ts';
import type { Closure } from '../domain/types.ts';
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
  log?: GatewayLog;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
}

type Call = 'close' | 'state';

const silent: GatewayLog = { info() {}, warn() {}, error() {} };

/**
 * The close POST is not idempotent (a repeat may append the note twice), so it is retried only where
 * D3 certainly did not act: the request never left (notSent), 429, 503. When the outcome is unknown
 * (timeout after send, reset, 5xx) the incident's state decides: closed → done, still open → one more
 * close, unreadable → the analyst is told the outcome is unknown.
 */
export function createD3Gateway(o: D3GatewayOptions): D3Gateway {
  const log = o.log ?? silent;
  const now = o.now ?? Date.now;
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

  async function withRetries<T>(call: Call, cmd: CloseCommand, deadline: number, fn: () => Promise<T>): Promise<T> {
    const ctx = { requestId: cmd.requestId, incidentNumber: cmd.incidentNumber, call };
    for (let attempt = 1; ; attempt++) {
      let started = now();
      try {
        await o.limiter.acquire();
        started = now();
        const out = await fn();
        log.info({ ...ctx, attempt, status: 200, latencyMs: now() - started }, 'D3 call answered');
        return out;
      } catch (e) {
        if (!isCloseError(e)) throw e;
        const wait = retryable(e) ? delayFor(e, attempt) : undefined;
        const willRetry = wait !== undefined && now() + wait <= deadline;
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

  const stateOf = (cmd: CloseCommand, deadline: number) =>
    withRetries('state', cmd, deadline, () =>
      o.client.getState({
        username: cmd.username,
        site: cmd.site,
        incidentNumber: cmd.incidentNumber,
        requestId: cmd.requestId,
      }),
    );

  function fromState(cmd: CloseCommand, state: IncidentState): Closure {
    const closure: Closure = {
      incidentNumber: cmd.incidentNumber,
      closeType: 'Closed',
      site: cmd.site,
      note: cmd.note,
    };
    if (state.closedBy) closure.closedBy = state.closedBy;
    else closure.partial = true;
    if (state.dateClosed) closure.closeDate = state.dateClosed;
    return closure;
  }

  async function closeOnce(cmd: CloseCommand, deadline: number): Promise<Closure> {
    const { warning, ...closure } = await withRetries('close', cmd, deadline, () => o.client.close(cmd));
    if (warning)
      log.warn({ requestId: cmd.requestId, incidentNumber: cmd.incidentNumber, warning }, 'D3 reply unusual');
    return closure;
  }

  async function resolveUnknown(cmd: CloseCommand, deadline: number, unknown: CloseError): Promise<Closure> {
    const ctx = { requestId: cmd.requestId, incidentNumber: cmd.incidentNumber };
    let state: IncidentState;
    try {
      state = await stateOf(cmd, deadline);
    } catch (e) {
      log.error({ ...ctx, code: isCloseError(e) ? e.code : 'internal' }, 'close outcome unknown; state check failed');
      throw new CloseError('d3_outcome_unknown', { ...unknown.detail, reason: 'state check failed' }, { cause: e });
    }
    if (state.closed) {
      const other = state.closedBy !== undefined && state.closedBy !== cmd.username;
      log.info({ ...ctx, closedBy: state.closedBy, closedByOther: other }, 'close outcome unknown; D3 shows it closed');
      return fromState(cmd, state);
    }
    log.warn({ ...ctx, status: state.status }, 'close outcome unknown; D3 shows it open, sending the close once more');
    return closeOnce(cmd, deadline);
  }

  /** "Already closed" is an answer, not a failure; who closed it and when come from the state (best effort). */
  async function enrich(cmd: CloseCommand, closure: Closure): Promise<Closure> {
    try {
      await o.limiter.acquire();
      const state = await o.client.getState({ ...cmd });
      const { partial, ...rest } = closure;
      return {
        ...rest,
        ...(state.closedBy && { closedBy: state.closedBy }),
        ...(state.dateClosed && { closeDate: state.dateClosed }),
        ...(partial && !state.closedBy && { partial }),
      };
    } catch (e) {
      log.warn({ requestId: cmd.requestId, code: isCloseError(e) ? e.code : 'internal' }, 'already closed; no state');
      return closure;
    }
  }

  return {
    async closeIncident(cmd) {
      if (destroyed) throw new CloseError('d3_unavailable', { notSent: true, reason: 'shutting down' });
      const deadline = now() + o.retryDeadlineMs;
      log.info(
        { requestId: cmd.requestId, incidentNumber: cmd.incidentNumber, noteLength: cmd.note.length },
        'closing incident in D3',
      );
      let closure: Closure;
      try {
        closure = await closeOnce(cmd, deadline);
      } catch (e) {
        if (!isCloseError(e) || e.code !== 'd3_outcome_unknown') throw e;
        closure = await resolveUnknown(cmd, deadline, e);
      }
      return closure.alreadyClosed ? enrich(cmd, closure) : closure;
    },
    queueDepth: () => o.limiter.depth(),
    async destroy() {
      destroyed = true;
      o.limiter.close();
      await o.client.destroy();
    },
  };
}
