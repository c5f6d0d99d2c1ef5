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
}

const realClock: LimiterClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

// The window is a little longer than a second: a call's start and its arrival at D3 differ by a few
// ms of event-loop and network jitter, and a 10% guard band keeps D3's own one-second count at or
// under maxRps even then (the bench counts arrivals at the fake D3).
const WINDOW_MS = 1100;

/**
 * Sliding-window limiter per process: it remembers the start times of the last `maxRps` calls, so no
 * one-second window ever holds more than `maxRps` starts (a token bucket can let 2× through at a
 * window edge). Waiting callers are served strictly first in, first out.
 */
export function createRateLimiter(o: RateLimiterOptions): RateLimiter {
  const clock = o.clock ?? realClock;
  const starts: number[] = [];
  const waiting: Array<{ resolve: () => void; reject: (e: CloseError) => void }> = [];
  // Starts are also spaced evenly, so a full window is spread over the second instead of leaving in
  // one burst: a burst that a busy event loop delays further would reach D3 bunched up.
  const spacingMs = WINDOW_MS / o.maxRps;
  let timer: unknown;
  let closed = false;

  /** Milliseconds until the next call may start (0 = now). */
  function waitFor(t: number): number {
    while (starts.length > 0 && (starts[0] ?? 0) <= t - WINDOW_MS) starts.shift();
    const last = starts.at(-1);
    const spaced = last === undefined ? 0 : last + spacingMs - t;
    const windowed = starts.length >= o.maxRps ? (starts[0] ?? t) + WINDOW_MS - t : 0;
    return Math.max(0, spaced, windowed);
  }

  function tryStart(): boolean {
    const t = clock.now();
    if (waitFor(t) > 0) return false;
    starts.push(t);
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
  };
}

const shuttingDown = () => new CloseError('d3_unavailable', { notSent: true, reason: 'shutting down' });
