/**
 * The retry loop of every D3 call: one rate-limit slot per attempt, retried only where D3 certainly
 * did not act (the request never left, 429, 503), with backoff, never past the run's deadline. What
 * follows a call that may have acted (a state check, one more close) is gateway.ts's decision.
 */
import { CloseError, isCloseError, isStopRefusal } from '../domain/errors.ts';
import type { CloseCommand } from '../domain/ports.ts';
import type { RateLimiter } from './rate-limit.ts';

/** pino-compatible: `log.info({ requestId, … }, 'message')`. */
export interface GatewayLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export type Call = 'close' | 'state' | 'fields' | 'preview';

/** One closeIncident call: its deadline and when its first close left, for the evidence of point 2. */
export interface Run {
  cmd: CloseCommand;
  deadline: number;
  firstSentAt?: number;
}

export interface RetryOptions {
  limiter: RateLimiter;
  log: GatewayLog;
  now: () => number;
  wallNow: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  backoffBaseMs: number;
  backoffCapMs: number;
  /** True once the gateway is shutting down: nothing is retried. */
  stopped: () => boolean;
}

export function createRetrier(o: RetryOptions) {
  const { log, now, wallNow, sleep, random } = o;
  const base = o.backoffBaseMs;
  const cap = o.backoffCapMs;
  const retryable = (e: CloseError) =>
    e.detail.notSent === true || e.code === 'd3_rate_limited' || e.code === 'd3_unavailable';
  // D3 did not act, and it would have been asked again but for the stop: marked like the limiter's own
  // refusal (rate-limit.ts shuttingDown), so a queued close is handed over instead of failed.
  const cutShort = (e: CloseError) =>
    isStopRefusal(e) ? e : new CloseError(e.code, { ...e.detail, stopping: true }, { cause: e });

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
        // The durable queue records "attempted" before the first close can leave (close-queue.ts). It is
        // written before the wait for a slot, not after: a store write between the slot and the send would
        // make arrivals at D3 uneven (and could bunch them past D3_MAX_RPS) whenever the store is slow.
        const record = call === 'close' && run.firstSentAt === undefined ? run.cmd.beforeFirstSend : undefined;
        if (record) await record();
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
        const inTime = wait !== undefined && now() + wait <= run.deadline;
        const willRetry = inTime && !o.stopped();
        const fields = { ...ctx, attempt, status: e.detail.status, code: e.code, latencyMs: now() - started };
        log.warn(
          { ...fields, reason: e.detail.reason, willRetry, waitMs: willRetry ? wait : undefined },
          'D3 call failed',
        );
        if (!willRetry) throw inTime ? cutShort(e) : e;
        await sleep(wait);
      }
    }
  }

  return withRetries;
}
