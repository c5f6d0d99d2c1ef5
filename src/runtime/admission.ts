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
 * At most `aheadMax` of them do that work at once (`gate`), and only while fewer than `lead` calls
 * wait in D3's queue (one second of D3_MAX_RPS); the rest wait, already stored and acknowledged. A
 * burst of 500 accepted closes otherwise ran 500 closes' store reads and writes at once, and then
 * still in its first second the 16-wide gate let every one through to wait in D3's queue: the
 * acknowledgements of the requests behind them waited for that work (npm run bench, 500 req/s: in the
 * first second 26–37 acks over 10 ms with the lead, 40–187 without). Paced so, a close does its store
 * work just before its turn at D3, and D3 stays as busy: a second of calls always waits ahead of it.
 */
export function trackAdmission(
  d3: D3Gateway,
  queueMax: number,
  { aheadMax = 16, lead = Number.POSITIVE_INFINITY }: { aheadMax?: number; lead?: number } = {},
) {
  const admitting = new Set<string>();
  /** Requests holding one of the aheadMax places: it is given back once, whichever comes first. */
  const holding = new Set<string>();
  const waiting: Array<() => void> = [];
  let ahead = 0;
  let poll: NodeJS.Timeout | undefined;
  const roomAtD3 = () => d3.queueDepth() + ahead < lead;
  /** Lets waiting closes in while there is room; D3's queue drains one slot at a time, so it looks again soon. */
  const wake = () => {
    while (waiting.length > 0 && ahead < aheadMax && roomAtD3()) {
      ahead++;
      waiting.shift()?.();
    }
    if (waiting.length > 0 && !poll) {
      poll = setTimeout(() => {
        poll = undefined;
        wake();
      }, 25);
      poll.unref();
    }
  };
  const leave = (requestId: string) => {
    if (!holding.delete(requestId)) return;
    ahead--;
    wake();
  };
  const enter = (requestId: string): Promise<void> => {
    const hold = () => void holding.add(requestId);
    if (waiting.length === 0 && ahead < aheadMax && roomAtD3()) {
      ahead++;
      hold();
      return Promise.resolve();
    }
    const p = new Promise<void>((resolve) =>
      waiting.push(() => {
        hold();
        resolve();
      }),
    );
    wake();
    return p;
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
