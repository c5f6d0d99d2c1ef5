/**
 * Every way a close can be refused or fail. Expected refusals travel as values (Outcome); the
 * user-facing text for each code lives in slack/render/messages.ts, whose exhaustive switch will not
 * compile while a code here lacks a message.
 */
export type CloseErrorCode =
  // input
  | 'bad_incident_number'
  | 'note_missing'
  | 'note_too_long'
  | 'bad_metadata'
  | 'disposition_unknown'
  | 'disposition_missing'
  // identity and authorization
  | 'user_unmapped'
  | 'user_no_site'
  | 'channel_not_allowed'
  | 'user_not_in_group'
  | 'not_admin'
  | 'foreign_workspace'
  | 'incident_other_site'
  // concurrency
  | 'close_in_progress'
  | 'duplicate_request'
  | 'queue_full'
  | 'bulk_too_many'
  | 'close_handed_over'
  | 'close_deferred'
  // D3
  | 'd3_rejected'
  | 'd3_bad_request'
  | 'd3_unauthorized'
  | 'd3_forbidden'
  | 'd3_rate_limited'
  | 'd3_unavailable'
  | 'd3_unreachable'
  | 'd3_outcome_unknown'
  | 'd3_bad_reply'
  | 'd3_still_open'
  | 'closed_by_other'
  | 'closed_unconfirmed'
  | 'lock_lost'
  | 'disposition_not_set'
  // the preview card's buttons
  | 'confirm_expired'
  | 'confirm_used'
  /** Refused by D3's full queue (nothing sent) after it spent the card, which the store failed to give back. */
  | 'confirm_spent'
  /** No outcome yet when the click had to be answered (the store or D3 slow): the close may still go ahead. */
  | 'confirm_pending'
  // anything else
  | 'internal';

export type CloseDetail = {
  /** D3's own words on a 200 with a non-empty `error`, shown to the analyst. */
  d3Message?: string;
  retryAfterS?: number;
  /** Who holds the incident's lock (a Slack user id) for close_in_progress. */
  holder?: string;
  /** Why the input was refused, e.g. which rule the incident number broke. */
  reason?: string;
  /** HTTP status D3 answered with, for the operator's log. */
  status?: number;
  /** Whether D3 certainly did not act on the request (safe to retry). */
  notSent?: boolean;
  /**
   * Ended by this instance's stop, not by D3: refused once its D3 limiter or gateway closed (rate-limit.ts
   * shuttingDown), or a retry the stop cut short after D3 did not act (429, 503, never sent; retry.ts).
   * A close from the durable queue is then handed over, not failed.
   */
  stopping?: boolean;
  /** Operator hint: which setting to check. Logged, never shown to the analyst. */
  hint?: string;
  /** D3 answered the close (200) without proving it closed the incident; its words are in d3Message. */
  d3Answered?: boolean;
  /** After an unknown outcome the incident's state could not be read either. */
  stateUnread?: boolean;
  /** Who and when D3 shows the incident closed (its own strings), for closed_by_other / closed_unconfirmed. */
  closedBy?: string;
  dateClosed?: string;
  /** The short forms the operator allows, for disposition_unknown / disposition_missing. */
  allowed?: string;
  /** The incident's site (D3's words) and the analyst's mapped site, for incident_other_site. */
  incidentSite?: string;
  userSite?: string;
  /** bulk_too_many: how many numbers were given, and BULK_MAX. */
  count?: number;
  limit?: number;
};

export class CloseError extends Error {
  override readonly name = 'CloseError';
  readonly code: CloseErrorCode;
  readonly detail: CloseDetail;
  constructor(code: CloseErrorCode, detail: CloseDetail = {}, options?: ErrorOptions) {
    // Only `internal` is a bug whose stack says where to look; every other code is an outcome (a
    // refusal, D3's or Slack's answer), and a wrapped failure keeps its own stack as the cause. V8
    // captures a stack through the whole async chain (Bolt's middleware, our listener): the
    // queue_full refusal that answers most requests under load spent 2% of the app's CPU there
    // (npm run bench, 500 req/s, --cpu-prof).
    const limit = Error.stackTraceLimit;
    if (code !== 'internal') Error.stackTraceLimit = 0;
    try {
      super(code, options);
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.code = code;
    this.detail = detail;
  }
}

export const isCloseError = (e: unknown): e is CloseError => e instanceof CloseError;

/**
 * A close from the durable queue refused so is handed over (close-queue.ts): left stored for another
 * instance or the restart, and audited `handed_over` (close-incident.ts), never `failed`.
 */
export const isStopRefusal = (e: CloseError): boolean => e.detail.stopping === true;

export function assertNever(x: never): never {
  throw new Error(`unexpected value: ${String(x)}`);
}
