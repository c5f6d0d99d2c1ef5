import { CloseError } from '../domain/errors.ts';

/** Time source for the limiter; tests pass a virtual one. */
export interface LimiterClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface RateLimiterOptions {
  /** Calls allowed to start in any one-second window (D3 documents 50/s for the whole API). */
  maxRps: number;
  /** Callers allowed to wait; one more is refused at once with `queue_full`. */
  queueMax: number;
  clock?: LimiterClock;
}

export interface RateLimiter {
  /** Resolves when the caller may start its call; rejects with `queue_full` or, after close(), `d3_unavailable`. */
  acquire(): Promise<void>;
  /** Callers waiting for a slot. */
  depth(): number;
  /** Refuses new callers and answers every waiting one, so no request is dropped silently. */
  close(): void;
  /** True once close() ran: nothing waits or is retried any more. */
  isClosed(): boolean;
}

const realClock: LimiterClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * How starts are spaced: `maxRps` starts take 1000 ms plus two allowances. A start's arrival at D3
 * trails it by a few ms of event loop and network (ARRIVAL_MS), and a timer may fire late
 * (LATE_MS, absorbed without drifting the schedule). So any maxRps + 1 consecutive arrivals span more
 * than a second: no one-second window at D3 holds more than maxRps, and a saturated queue drains at
 * 1000 / 1045 = 95.7% of maxRps (a 10% band, 88% measured, before issue 9). ARRIVAL_MS is what
 * `npm run bench:fleet` needed on a shared 2-core machine (load average 6–10): at 20 ms it saw 41 calls
 * in one second at D3_MAX_RPS=40. fleet-limit.ts shares it.
 */
export const ARRIVAL_MS = 35;
export const LATE_MS = 10;
export const spacingFor = (maxRps: number) => (1000 + ARRIVAL_MS + LATE_MS) / maxRps;

/**
 * Per-process limiter (GCRA, "virtual scheduling"): each start gets the next slot, `spacing` after the
 * previous one's. A start recorded at its slot (or at most LATE_MS before its real time, when a timer
 * fired later than that) keeps every maxRps + 1 consecutive starts more than 1000 + ARRIVAL_MS apart,
 * where a fixed-window or token bucket can let 2× through at a window edge. Waiting callers are served
 * strictly first in, first out.
 */
export function createRateLimiter(o: RateLimiterOptions): RateLimiter {
  const clock = o.clock ?? realClock;
  const waiting: Array<{ resolve: () => void; reject: (e: CloseError) => void }> = [];
  const spacingMs = spacingFor(o.maxRps);
  let next = Number.NEGATIVE_INFINITY;
  let timer: unknown;
  let closed = false;

  /** Milliseconds until the next call may start (0 = now). */
  const waitFor = (t: number) => Math.max(0, next - t);

  function tryStart(): boolean {
    const t = clock.now();
    if (waitFor(t) > 0) return false;
    next = Math.max(next, t - LATE_MS) + spacingMs;
    return true;
  }

  function drain(): void {
    timer = undefined;
    if (waiting.length > 0 && tryStart()) waiting.shift()?.resolve();
    if (waiting.length > 0) timer = clock.setTimeout(drain, Math.max(1, Math.ceil(waitFor(clock.now()))));
  }

  return {
    acquire() {
      if (closed) return Promise.reject(shuttingDown());
      if (waiting.length === 0 && tryStart()) return Promise.resolve();
      if (waiting.length >= o.queueMax) {
        return Promise.reject(new CloseError('queue_full', { reason: `${waiting.length} calls already wait for D3` }));
      }
      return new Promise<void>((resolve, reject) => {
        waiting.push({ resolve, reject });
        if (timer === undefined) drain();
      });
    },
    depth: () => waiting.length,
    close() {
      closed = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      for (const w of waiting.splice(0)) w.reject(shuttingDown());
    },
    isClosed: () => closed,
  };
}

/** The answer to a caller once the instance stops: marked `stopping`, so a queued close is handed over. */
export const shuttingDown = () =>
  new CloseError('d3_unavailable', { notSent: true, stopping: true, reason: 'shutting down' });
