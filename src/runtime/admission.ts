import type { CloseRequest } from '../domain/close-incident.ts';
import type { D3Gateway, IncidentCloser } from '../domain/ports.ts';

/**
 * Closes acknowledged with "Closing…" that have not reached D3's queue yet (they are still reading the
 * store and taking the incident's lock) count with the queue when a new command asks whether D3 is
 * busy. Without them a burst saw an empty queue, was acknowledged whole, and most of it was refused a
 * moment later, each refusal after several store writes and a POST to its response_url; now the
 * refusal is in the acknowledgement, at the cost of one audit record.
 */
export function trackAdmission(d3: D3Gateway, queueMax: number) {
  const admitting = new Set<string>();
  /** The closer the close use case calls: a close leaves `admitting` as it enters D3's queue (synchronously). */
  const closer: IncidentCloser = {
    closeIncident(cmd) {
      admitting.delete(cmd.requestId);
      return d3.closeIncident(cmd);
    },
  };
  return {
    closer,
    busy: () => d3.queueDepth() + admitting.size >= queueMax,
    /** Runs one acknowledged command close, counted until it reaches D3's queue or ends before it. */
    admit<T>(req: CloseRequest, run: (req: CloseRequest) => Promise<T>): Promise<T> {
      admitting.add(req.requestId);
      return run(req).finally(() => admitting.delete(req.requestId));
    },
  };
}
