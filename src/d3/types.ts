import type { Closure } from '../domain/types.ts';

/** One close, as the use case asks for it. */
export interface CloseCommand {
  username: string;
  site: string;
  incidentNumber: string;
  /** Plain text, exactly as the analyst typed it (Slack markup already decoded). */
  note: string;
  /** Correlates logs from the Slack request to the D3 call. */
  requestId: string;
  /** How D3 shows the user (ClosedBy), when known: evidence that a closed incident is this request's. */
  displayName?: string;
  /** Aborted when the per-incident lock is lost: no further close is sent and nothing is credited by state. */
  signal?: AbortSignal;
  /**
   * The bot saw this incident closed moments ago (within the clock-skew window), so a closed state is
   * no evidence that this request closed it.
   */
  closedRecently?: boolean;
}

/** The incident as getIncidentStaticField reports it. */
export interface IncidentState {
  incidentNumber: string;
  status: string;
  closed: boolean;
  closedBy?: string;
  dateClosed?: string;
  site?: string;
}

/**
 * What the domain needs from D3. Implementations throw CloseError with a `d3_*` (or `queue_full`)
 * code; they resolve only with what D3 confirmed.
 */
export interface D3Gateway {
  /** Closes one incident; never announces anything D3 did not confirm. Retries only where safe. */
  closeIncident(cmd: CloseCommand): Promise<Closure>;
  /**
   * Whether D3 shows the incident closed by a close sent at or after `sentAt` (wall-clock ms), with the
   * evidence closeIncident asks for: the closure when it is, undefined when it is not (open, someone
   * else's, unproven). Throws CloseError when the state cannot be read.
   */
  confirmClosure(cmd: CloseCommand, sentAt: number): Promise<Closure | undefined>;
  /** Incidents waiting for a rate-limit slot, for metrics. */
  queueDepth(): number;
  /** Stop accepting work and release sockets. */
  destroy(): Promise<void>;
}
