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
  /** D3's words when it said so, for the analyst should its state disagree. */
  d3Said?: string;
  /** Fields D3 did not give (e.g. contextData that did not parse): the summary says so. */
  partial?: boolean;
  /** From the preview read, when it worked (D3's words). */
  title?: string;
  severity?: string;
  /** The close reason set in D3 before the close (its D3 name). */
  disposition?: string;
}

/** A confirmed closure waiting to be announced; written before the post, removed after it. */
export interface PendingSummary {
  id: string;
  channelId: string;
  /** A reply in this thread (the message a shortcut was used on); absent = a message in the channel. */
  threadTs?: string;
  /** With threadTs: also shown in the channel (SUMMARY_REPLY_BROADCAST). */
  replyBroadcast?: boolean;
  slackUserId: string;
  d3Username: string;
  closure: Closure;
  requestId: string;
  createdAt: string;
  /**
   * Written just before the close is sent: D3 may close the incident and the app die before it hears.
   * Never posted as it is; the replay asks D3 (domain/close-intent.ts) and posts only a proven closure.
   */
  unconfirmed?: { d3DisplayName?: string };
  /**
   * A bulk close: every incident it closed (closure is the first of them), posted as one list.
   * Absent for a single close, whose summary is unchanged.
   */
  items?: Closure[];
}

/**
 * `closed_by_other`: D3 shows it closed by someone else or before this request; `closed_unconfirmed`:
 * D3 shows it closed but nothing proves this request did it. Neither is announced in the channel.
 * `handed_over`: a queued close this instance stopped before sending; another instance or the restart
 * finishes it, under the same request id, and records that attempt's own outcome.
 */
export type AuditOutcome =
  | 'closed'
  | 'already_closed'
  | 'closed_by_other'
  | 'closed_unconfirmed'
  | 'refused'
  | 'failed'
  | 'unknown'
  | 'handed_over';

/** What was asked for, when not a close (a refused `history`, or a request from another workspace). */
export type AuditAction = 'close' | 'history' | 'whoami' | 'help' | 'map' | 'unmap' | 'modal' | 'invalid';

export interface AuditRecord {
  at: string;
  requestId: string;
  incidentNumber: string;
  slackUserId: string;
  slackTeamId?: string;
  slackEnterpriseId?: string;
  /** Absent for a close, which is what the store keeps; other actions are audit log lines only. */
  action?: AuditAction;
  d3Username?: string;
  site?: string;
  noteLength: number;
  /** The close reason asked for (its D3 name), when one was. */
  disposition?: string;
  /**
   * HMAC-SHA256 of the note under AUDIT_NOTE_KEY (hex): equal notes compare equal, but nobody without
   * the key can confirm a guess. Absent when no key is configured: an unkeyed hash of a short note
   * ("False positive") is a lookup away from the note itself.
   */
  noteHmac?: string;
  outcome: AuditOutcome;
  code?: string;
  d3LatencyMs?: number;
}

/**
 * What users.info says about a Slack user that decides whether their profile email may map them to
 * a D3 user (policy.emailMatchProblem). Flags Slack did not state read as the unsafe answer.
 */
export interface SlackPerson {
  email?: string;
  /** `is_email_confirmed === true`. */
  emailConfirmed: boolean;
  /** `is_stranger`: a Slack Connect user of another organisation. */
  stranger: boolean;
  /** `is_restricted` or `is_ultra_restricted` (multi- or single-channel guest), or either not stated. */
  guest: boolean;
  deleted: boolean;
  bot: boolean;
  /** `team_id`, `teams` and `enterprise_user.teams`. */
  teamIds: string[];
  enterpriseId?: string;
}

/**
 * Where the closure summary went. `willRetry` means something will post it later: the outbox replay, or
 * (`heldInMemory`, the store being down) this process alone, so a restart before then loses it.
 */
export type SummaryDelivery = (
  | { status: 'posted'; channelId: string }
  /** Another instance of the bot took it over and finished: it posted it, or told the analyst why not. */
  | { status: 'handled_elsewhere'; channelId: string }
  | { status: 'not_posted'; channelId: string; slackError: string; willRetry: boolean; heldInMemory?: boolean }
) &
  SummaryWhere;

/** Where the summary was sent and why (domain/summary-route.ts), and how its feed copy fared. */
export interface SummaryWhere {
  threadTs?: string;
  route?: import('./summary-route.ts').RouteReason;
  feed?: SummaryDelivery;
}

/** The result of one close attempt, as the Slack edge renders it for the analyst. */
export type Outcome =
  | { ok: true; closure: Closure; delivery?: SummaryDelivery /** The D3 user the bot acted as. */; d3Username?: string }
  | { ok: false; error: import('./errors.ts').CloseError };
