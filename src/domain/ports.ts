/**
 * What the domain needs from the outside, declared here and implemented at the edges:
 *
 * | port                       | implemented by                                       |
 * | -------------------------- | ---------------------------------------------------- |
 * | IncidentCloser, D3Gateway  | d3/gateway.ts (createD3Gateway)                       |
 * | IncidentReader             | d3/client.ts (getState); d3/gateway.ts readIncident   |
 * | IncidentFieldSetter        | d3/gateway.ts via d3/fields.ts (SetIncidentFieldsInBulk) |
 * | Locks, Dedupe, Outbox,     | store/keyv-store.ts (createStore) over local-store,  |
 * | AuditStore, Cache,         | sqlite-store or redis-store                          |
 * | Overrides, Store           |                                                      |
 * | ResolveIdentity            | identity/user-map.ts (createIdentityResolver)        |
 * | summary posting            | slack/summary-post.ts (see domain/summary-ports.ts)  |
 */
import type { CloseRequest } from './close-incident.ts';
import type { CloseError } from './errors.ts';
import type { AuditRecord, Closure, Identity, PendingSummary } from './types.ts';

// ── D3 ──────────────────────────────────────────────────────────────────────────────────────────

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
  /** Awaited before the first close waits for its D3 slot: the durable queue records the attempt. */
  beforeFirstSend?: () => Promise<void>;
  /**
   * Wall-clock time an earlier owner recorded the close as attempted (it may have reached D3): the
   * incident's state is read first and a closed state judged with this as the first call's time.
   */
  attemptedAt?: number;
}

/** The incident as getIncidentStaticField reports it. */
export interface IncidentState {
  incidentNumber: string;
  status: string;
  closed: boolean;
  closedBy?: string;
  dateClosed?: string;
  site?: string;
  /** What the preview shows (getIncidentStaticField's Title, Severity, Owner, IRTypeName, DateCreated…). */
  title?: string;
  severity?: string;
  owner?: string;
  type?: string;
  dateCreated?: string;
  disposition?: string;
}

/** Which incident to read, as which D3 user and site. */
export interface IncidentQuery {
  username: string;
  site: string;
  incidentNumber: string;
  requestId: string;
}

/** Closes incidents. Throws CloseError with a `d3_*` (or `queue_full`) code; resolves only with what D3 confirmed. */
export interface IncidentCloser {
  /** Closes one incident; never announces anything D3 did not confirm. Retries only where safe. */
  closeIncident(cmd: CloseCommand): Promise<Closure>;
}

/** One incident's result within a bulk close: what D3 confirmed, or why not (the same truth rules as one close). */
export type ItemResult = { ok: true; closure: Closure } | { ok: false; error: CloseError };

/** Closes several incidents, reporting each as soon as its result is known. Never rejects. */
export interface IncidentBulkCloser {
  closeIncidents(cmds: CloseCommand[], onResult: (incidentNumber: string, result: ItemResult) => void): Promise<void>;
}

/** Reads one incident's state (getIncidentStaticField). Throws CloseError. */
export interface IncidentReader {
  getState(q: IncidentQuery): Promise<IncidentState>;
}

/** Fields of one incident to set, e.g. `{ Disposition: 'False Positive' }`. */
export interface IncidentFieldsCommand extends IncidentQuery {
  fields: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * Sets incident fields (SetIncidentFieldsInBulk). A field set is idempotent, so, unlike a close, it
 * may be retried after an unknown outcome (within the retry deadline). Resolves only when D3 said yes.
 */
export interface IncidentFieldSetter {
  setIncidentFields(cmd: IncidentFieldsCommand): Promise<void>;
}

/** The preview read: one getIncidentStaticField through the rate limiter, never retried (a help, not a gate). */
export interface IncidentPreviewer {
  readIncident(q: IncidentQuery): Promise<IncidentState>;
}

/** What the runtime holds of D3: the closer, plus its queue (for the busy refusal and metrics) and shutdown. */
export interface D3Gateway extends IncidentCloser, IncidentBulkCloser, IncidentPreviewer, IncidentFieldSetter {
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

// ── Store ───────────────────────────────────────────────────────────────────────────────────────

export type LockResult = { acquired: true } | { acquired: false; holder: string };

/** Per-incident locks with a TTL. Atomic across instances on Redis (SET NX PX). */
export interface Locks {
  acquire(key: string, holder: string, ttlMs: number): Promise<LockResult>;
  /** Releases only if `holder` still holds it. */
  release(key: string, holder: string): Promise<void>;
  /**
   * Pushes the expiry of a lock `holder` still holds to ttlMs from now (a heartbeat for work that may
   * outlive its first TTL). False when the lock lapsed or another holder has it: the caller lost it.
   */
  extend(key: string, holder: string, ttlMs: number): Promise<boolean>;
}

/** Request de-duplication. */
export interface Dedupe {
  /** Marks `key` as seen; true only for the first caller within ttlMs. */
  once(key: string, ttlMs: number): Promise<boolean>;
}

/** Confirmed closures whose summary is not yet posted. */
export interface Outbox {
  put(rec: PendingSummary): Promise<void>;
  remove(id: string): Promise<void>;
  list(): Promise<PendingSummary[]>;
}

/**
 * A close acknowledged to the analyst ("Closing…") and not finished yet, kept so that another instance
 * (Redis) or the restart (sqlite) finishes it when its instance dies (domain/close-queue.ts).
 */
export interface QueuedClose {
  /** The request id, also the closure's id. */
  id: string;
  /** The close as requested; the reason chosen in a form, and whether the note may name one, go too. */
  request: Pick<
    CloseRequest,
    | 'requestId'
    | 'slackUserId'
    | 'slackTeamId'
    | 'channelId'
    | 'threadTs'
    | 'incidentNumber'
    | 'note'
    | 'disposition'
    | 'noteMayName'
    | 'dedupeKey'
  >;
  /** Where the outcome goes while Slack accepts it (30 minutes); a DM after that or without one. */
  responseUrl?: string;
  /** Epoch ms of the Slack request. */
  createdAt: number;
  /** Epoch ms its close began to wait for a D3 slot (it may have left since): a taker-over reads D3's state first. */
  attemptedAt?: number;
  /** Times its close threw (the store failing, most often): kept for the takeover until QUEUED_CLOSE_TRIES. */
  failures?: number;
}

export interface CloseQueueStore {
  put(entry: QueuedClose): Promise<void>;
  get(id: string): Promise<QueuedClose | undefined>;
  remove(id: string): Promise<void>;
  list(): Promise<QueuedClose[]>;
}

export interface AuditStore {
  append(rec: AuditRecord): Promise<void>;
  /** Newest first. */
  history(incidentNumber: string, limit?: number): Promise<AuditRecord[]>;
  /** One Slack user's latest close attempts, newest first (App Home). */
  byUser(slackUserId: string, limit?: number): Promise<AuditRecord[]>;
}

/** Short-lived caches (email by Slack user, user-group members, incidents seen closed). */
export interface Cache {
  get<T>(ns: string, key: string): Promise<T | undefined>;
  set<T>(ns: string, key: string, value: T, ttlMs: number): Promise<void>;
}

/** A user-map entry set from Slack by an admin (`/close-incident map`). */
export interface MappingOverride {
  username: string;
  site?: string;
  setBy: string;
  setAt: string;
}

export interface Overrides {
  get(slackUserId: string): Promise<MappingOverride | undefined>;
  set(slackUserId: string, o: MappingOverride): Promise<void>;
  delete(slackUserId: string): Promise<boolean>;
}

/**
 * Everything the bot keeps, behind the ports above over one keyv store. Keys are namespaced
 * (`ci:lock:`, `ci:once:`, `ci:outbox:`, `ci:audit:`, `ci:cache:`, `ci:map:`).
 */
export interface Store extends Dedupe {
  locks: Locks;
  outbox: Outbox;
  /** Acknowledged closes not finished yet (claimed through `locks`, key `queue:<id>`). */
  queue: CloseQueueStore;
  audit: AuditStore;
  cache: Cache;
  overrides: Overrides;
  /** True when the backing store answers (for /readyz). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

// ── Identity ────────────────────────────────────────────────────────────────────────────────────

/** A Slack user's D3 account; `mapped: true` without identity means the user is known but has no site. */
export type Resolved =
  | { identity: Identity }
  | { identity: undefined; mapped: false }
  | { identity: undefined; mapped: true; username: string };

/** Slack user → D3 account (an admin override, the user map file, or the profile email). */
export type ResolveIdentity = (slackUserId: string) => Promise<Resolved>;
