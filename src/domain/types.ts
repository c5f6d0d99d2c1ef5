/** Shapes shared by the domain, the D3 edge, the Slack edge and the store. Plain data only. */

/** Who the bot acts as in D3 for one Slack user, and where that mapping came from. */
export interface Identity {
  slackUserId: string;
  username: string;
  /** How D3 shows this user (ClosedBy), when the user map says. */
  displayName?: string;
  site: string;
  source: 'file' | 'override' | 'email';
}

/** What D3 confirmed about a closure; display strings are kept exactly as D3 gave them. */
export interface Closure {
  incidentNumber: string;
  /** D3's closedBy (display name) when it said; else the D3 username we acted as. */
  closedBy?: string;
  closeType?: string;
  closeDate?: string;
  site: string;
  note: string;
  /** D3 said the incident was already closed before this request. */
  alreadyClosed?: boolean;
  /** Fields D3 did not give (e.g. contextData that did not parse): the summary says so. */
  partial?: boolean;
}

/** A confirmed closure waiting to be announced; written before the post, removed after it. */
export interface PendingSummary {
  id: string;
  channelId: string;
  slackUserId: string;
  d3Username: string;
  closure: Closure;
  requestId: string;
  createdAt: string;
}

/**
 * `closed_by_other`: D3 shows it closed by someone else or before this request; `closed_unconfirmed`:
 * D3 shows it closed but nothing proves this request did it. Neither is announced in the channel.
 */
export type AuditOutcome =
  | 'closed'
  | 'already_closed'
  | 'closed_by_other'
  | 'closed_unconfirmed'
  | 'refused'
  | 'failed'
  | 'unknown';

export interface AuditRecord {
  at: string;
  requestId: string;
  incidentNumber: string;
  slackUserId: string;
  slackTeamId?: string;
  d3Username?: string;
  site?: string;
  noteLength: number;
  noteSha256: string;
  outcome: AuditOutcome;
  code?: string;
  d3LatencyMs?: number;
}

/**
 * Where the closure summary went. `willRetry` means something will post it later: the outbox replay, or
 * (`heldInMemory`, the store being down) this process alone, so a restart before then loses it.
 */
export type SummaryDelivery =
  | { status: 'posted'; channelId: string }
  /** Another instance of the bot took it over and finished: it posted it, or told the analyst why not. */
  | { status: 'handled_elsewhere'; channelId: string }
  | { status: 'not_posted'; channelId: string; slackError: string; willRetry: boolean; heldInMemory?: boolean };

/** The result of one close attempt, as the Slack edge renders it for the analyst. */
export type Outcome =
  | { ok: true; closure: Closure; delivery?: SummaryDelivery /** The D3 user the bot acted as. */; d3Username?: string }
  | { ok: false; error: import('./errors.ts').CloseError };
