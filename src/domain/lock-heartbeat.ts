import type { Log } from '../log.ts';
import type { Locks } from './ports.ts';

export interface HeldLock {
  /** Aborted once the lock is lost: the close must send nothing more and credit nothing from D3's state. */
  signal: AbortSignal;
  /** Stops renewing (call before releasing the lock). */
  stop(): void;
}

/**
 * Keeps a per-incident lock for as long as the close really runs. How long that is has no useful fixed
 * bound (the rate-limit queue, 429s up to the retry deadline, calls that each take up to three D3
 * timeouts, state checks, the summary post), so instead of a TTL guessed from the worst case the lock
 * is renewed every ttl/3, and the TTL only bounds how long a crashed holder keeps the incident locked.
 *
 * A renewal that finds the lock gone (it lapsed, or another request took it) cannot be undone: the
 * signal is aborted and the caller stops before anything that could be done twice (another close POST,
 * or crediting a closed state to this request). A store error is not a loss until the last expiry we
 * set has passed.
 */
export function keepLock(locks: Pick<Locks, 'extend'>, key: string, holder: string, ttlMs: number, log: Log): HeldLock {
  const lost = new AbortController();
  let heldUntil = Date.now() + ttlMs;
  let renewing = false;
  let stopped = false;

  const lose = (why: string) => {
    if (stopped || lost.signal.aborted) return;
    clearInterval(timer);
    log.error({ lockKey: key, why }, 'incident lock lost while closing: no further close is sent for this request');
    lost.abort();
  };

  const renew = async () => {
    if (renewing || stopped) return;
    renewing = true;
    const at = Date.now();
    try {
      if (await locks.extend(key, holder, ttlMs)) heldUntil = at + ttlMs;
      else lose('the lock lapsed or another request holds it');
    } catch (e) {
      if (Date.now() >= heldUntil) lose('the store could not renew the lock before it lapsed');
      else log.warn({ lockKey: key, err: e }, 'incident lock not renewed; retrying');
    } finally {
      renewing = false;
    }
  };

  const timer = setInterval(() => void renew(), Math.max(1, Math.floor(ttlMs / 3)));
  timer.unref();
  return {
    signal: lost.signal,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
