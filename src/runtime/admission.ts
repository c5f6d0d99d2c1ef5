import type { CloseRequest } from '../domain/close-incident.ts';
import type { D3Gateway, IncidentCloser, IncidentFieldSetter, IncidentPreviewer } from '../domain/ports.ts';
import type { Outcome } from '../domain/types.ts';

/**
 * Closes acknowledged with "Closing…" that have not reached D3's queue yet (they are still reading the
 * store and taking the incident's lock) count with the queue when a new command asks whether D3 is
 * busy. Without them a burst saw an empty queue, was acknowledged whole, and most of it was refused a
 * moment later, each refusal after several store writes and a POST to its response_url; now the
 * refusal is in the acknowledgement, at the cost of one audit record.
 *
 * At most `aheadMax` of them do that work at once (`gate`); the rest wait, already stored and
 * acknowledged, until one reaches D3's queue. A burst of 500 accepted closes otherwise ran 500 closes'
 * store reads and writes at once, and the acknowledgements of the requests behind them waited for the
 * store behind all of those (npm run bench, 500 req/s). D3 stays as busy: a close leaves the gate as it
 * joins D3's queue (or makes its first D3 read), so the queue is refilled as fast as it drains.
 */
export function trackAdmission(d3: D3Gateway, queueMax: number, aheadMax = 16) {
  const admitting = new Set<string>();
  /** Requests holding one of the aheadMax places: it is given back once, whichever comes first. */
  const holding = new Set<string>();
  const waiting: Array<() => void> = [];
  let ahead = 0;
  const leave = (requestId: string) => {
    if (!holding.delete(requestId)) return;
    const next = waiting.shift();
    if (next) next();
    else ahead--;
  };
  const enter = (requestId: string): Promise<void> => {
    const hold = () => void holding.add(requestId);
    if (ahead < aheadMax) {
      ahead++;
      hold();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) =>
      waiting.push(() => {
        hold();
        resolve();
      }),
    );
  };
  /**
   * The closer the close use case calls: a close leaves `admitting` as it enters D3's queue. A queued
   * close first records "attempted" (a store write, in the gateway just before its slot wait); it stays
   * counted until that write is done, or a burst saw a queue emptier than it was, acknowledged too many,
   * and refused some of them for a full queue after "Closing…" (npm run bench: 38–113 a run).
   */
  const closer: IncidentCloser = {
    closeIncident(cmd) {
      leave(cmd.requestId);
      const record = cmd.beforeFirstSend;
      if (!record) {
        admitting.delete(cmd.requestId);
        return d3.closeIncident(cmd);
      }
      const beforeFirstSend = () => record().finally(() => admitting.delete(cmd.requestId));
      return d3.closeIncident({ ...cmd, beforeFirstSend });
    },
  };
  return {
    closer,
    /**
     * The preview read and the close reason's field set, which come before the close: a close leaves the
     * gate at its first D3 call of any kind. The gate bounds store work; holding a place through a D3
     * round trip would cap closes at aheadMax per D3 latency (16 per 500 ms), under D3_MAX_RPS.
     */
    reads(d3Side: IncidentPreviewer & IncidentFieldSetter): IncidentPreviewer & IncidentFieldSetter {
      return {
        readIncident(q) {
          leave(q.requestId);
          return d3Side.readIncident(q);
        },
        setIncidentFields(cmd) {
          leave(cmd.requestId);
          return d3Side.setIncidentFields(cmd);
        },
      };
    },
    busy: () => d3.queueDepth() + admitting.size >= queueMax,
    /** Runs one acknowledged command close, counted until it reaches D3's queue or ends before it. */
    admit<T>(req: CloseRequest, run: (req: CloseRequest) => Promise<T>): Promise<T> {
      admitting.add(req.requestId);
      return run(req).finally(() => admitting.delete(req.requestId));
    },
    /** The close use case, at most aheadMax at once on their way to D3's queue. */
    gate(close: (req: CloseRequest) => Promise<Outcome>) {
      return async (req: CloseRequest): Promise<Outcome> => {
        await enter(req.requestId);
        try {
          return await close(req);
        } finally {
          leave(req.requestId);
        }
      };
    },
  };
}
