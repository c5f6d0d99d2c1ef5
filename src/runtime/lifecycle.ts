import type { CloseRequest } from '../domain/close-incident.ts';
import type { Outcome } from '../domain/types.ts';
import type { Log } from '../log.ts';

/**
 * Closures under way, so a graceful stop can wait for them (and name the ones it abandons); and what
 * listeners left running past their acknowledgement (`afterAck`: a close, then its reply), which the
 * stop waits for too.
 */
export function trackClosures(closeNow: (req: CloseRequest) => Promise<Outcome>, log: Log) {
  const inFlight = new Map<Promise<unknown>, string>();
  const afterAck = new Set<Promise<unknown>>();
  const closeIncident = (req: CloseRequest): Promise<Outcome> => {
    const work = closeNow(req);
    inFlight.set(work, req.incidentNumber);
    void work.finally(() => inFlight.delete(work)).catch(() => {});
    return work;
  };
  /** A listener's work that outlives its acknowledgement: tracked, and a failure logged (Bolt no longer sees it). */
  const detach = (work: Promise<unknown>, incident: string) => {
    const tracked = work
      .catch((e: unknown) => log.error({ err: e, incident }, 'close failed after its acknowledgement'))
      .finally(() => afterAck.delete(tracked));
    afterAck.add(tracked);
  };
  return { closeIncident, inFlight, afterAck, detach };
}

/** A bulk close is tracked the same way, under its list of numbers. */
export function trackBulk<R extends { incidentNumbers: string[] }, A extends unknown[], T>(
  run: (req: R, ...rest: A) => Promise<T>,
  inFlight: Map<Promise<unknown>, string>,
) {
  return (req: R, ...rest: A): Promise<T> => {
    const work = run(req, ...rest);
    inFlight.set(work, req.incidentNumbers.join(','));
    void work.finally(() => inFlight.delete(work)).catch(() => {});
    return work;
  };
}

export interface StopParts {
  timeoutMs: number;
  log: Log;
  inFlight: Map<Promise<unknown>, string>;
  /** Listeners' work past their acknowledgement (trackClosures' afterAck): waited for like closures. */
  afterAck?: Set<Promise<unknown>>;
  /** Stops the outbox replay; resolves once a replay under way has finished. */
  stopReplay(): Promise<void>;
  /** Stops taking Slack requests that do not come through the HTTP server (Socket Mode). */
  stopTaking(): Promise<void>;
  /** Stops the HTTP server, waiting at most timeoutMs for requests under way. */
  stopHttp(timeoutMs: number): Promise<void>;
  /** Releases D3's sockets (waits for requests still open). */
  stopD3(): Promise<void>;
  closeStore(): Promise<void>;
}

/**
 * Graceful stop within SHUTDOWN_TIMEOUT_MS: stop taking requests and replaying, wait (bounded) for
 * closures and posts already under way, say which closures were abandoned, then release D3 and the store.
 */
export async function stopGracefully(p: StopParts): Promise<void> {
  const deadline = Date.now() + p.timeoutMs;
  const left = () => Math.max(0, deadline - Date.now());
  const replayDone = p.stopReplay();
  await p.stopTaking();
  await Promise.all([p.stopHttp(left()), settle([...p.inFlight.keys(), ...(p.afterAck ?? []), replayDone], left())]);
  if (p.inFlight.size > 0) {
    // Their outcome is unknown (D3 may yet act on them) and nothing will announce them: say so.
    p.log.warn(
      { closures: p.inFlight.size, incidents: [...p.inFlight.values()] },
      'shutdown deadline passed; closures under way abandoned, check them in D3',
    );
  }
  // The D3 agent's close() waits for requests still open; past the deadline those are abandoned.
  await settle([p.stopD3()], left());
  await p.closeStore();
}

async function settle(work: Iterable<Promise<unknown>>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([Promise.allSettled([...work]), expired]);
  clearTimeout(timer);
}
