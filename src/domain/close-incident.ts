import type { Log } from '../log.ts';
import type { AuditSubject, AuditTrail } from './audit.ts';
import { closeIntent, incidentLockKey } from './close-intent.ts';
import { chooseDisposition, type Disposition, type DispositionRules } from './disposition.ts';
import { CloseError, type CloseErrorCode, isCloseError, isStopRefusal } from './errors.ts';
import { keepLock } from './lock-heartbeat.ts';
import { decideClose, type PolicyRules } from './policy.ts';
import type { IncidentCloser, ResolveIdentity, Store } from './ports.ts';
import { beforeClose, createPreviewReader, type PreviewDeps, type PreviewReader } from './preview.ts';
import type { SummaryDeliverer } from './summaries.ts';
import type { AuditOutcome, Closure, Identity, Outcome } from './types.ts';

export interface CloseRequest {
  requestId: string;
  /** Slack's id for this one submission (trigger_id of a command, id of a modal view): replays are dropped. */
  dedupeKey?: string;
  slackUserId: string;
  slackTeamId?: string;
  channelId: string;
  /** The summary is a reply in this thread of channelId (the message shortcut's message). */
  threadTs?: string;
  incidentNumber: string;
  note: string;
  /** A close reason chosen in a form (short form or D3 name). */
  disposition?: string;
  /** A command's note may begin with a short form (`fp: benign scanner`). */
  noteMayName?: boolean;
  /** The command's response_url, kept with a queued close so whoever finishes it can answer there. */
  responseUrl?: string;
  /** Set by the durable queue (close-queue.ts). */
  queued?: QueuedRun;
  /**
   * Answers Slack's request ("Closing…", or the form closing). The durable queue calls it once the close
   * is stored, so a close the analyst saw acknowledged is never held only in memory; without the queue
   * the caller acknowledges itself (acknowledgeOnce, accept-close.ts).
   */
  acknowledge?(): Promise<void>;
  /**
   * Tells the analyst the outcome. The durable queue runs it before it forgets the stored close, so a
   * crash between the close and the reply leaves the close to be taken over and told, never untold.
   */
  tell?(outcome: Outcome): Promise<void>;
  /**
   * What the analyst is told for an outcome, when the caller words it its own way (the confirmation card:
   * a refusal for a full queue gives the card back first, and says whether it can be clicked again). The
   * durable queue tells this answer through `tell`, and through its fallback (response_url, else a DM)
   * when `tell` is refused, so both say the same thing.
   */
  answer?(outcome: Outcome): Promise<Outcome>;
}

/** A close run from the durable queue: stored before it waits for D3, finished by whoever holds its claim. */
export interface QueuedRun {
  /** Records the close as attempted, before it waits for its first D3 slot. */
  beforeFirstSend(): Promise<void>;
  /** An earlier owner may have sent the close: D3's state decides first (d3/gateway.ts). */
  attemptedAt?: number;
  /** Taken over from an instance that stopped: the incident lock it left under this request's name is ours. */
  resumed: boolean;
  /** Aborted when the queue claim is lost: another instance took the close over. */
  signal: AbortSignal;
}

export interface CloseDeps {
  rules: PolicyRules;
  resolveIdentity: ResolveIdentity;
  /** Only called when ALLOWED_USER_GROUP_IDS is set. */
  isInAllowedGroup(slackUserId: string): Promise<boolean>;
  d3: IncidentCloser;
  /** De-duplication, the per-incident lock, and the memory of incidents seen closed. */
  store: Pick<Store, 'once' | 'locks' | 'cache' | 'outbox'>;
  summaries: SummaryDeliverer;
  log: Log;
  /** Counts outcomes and D3 latency; optional so tests can leave it out. */
  observe?: (outcome: AuditOutcome, code: string | undefined, d3LatencyMs: number | undefined) => void;
  /** Audit lines and records, with the note keyed and refusals bounded per user (domain/audit.ts). */
  auditTrail: AuditTrail;
  /** The per-incident lock's TTL; the close renews it every third of that while it runs. */
  lockTtlMs: number;
  /**
   * How long the bot remembers seeing an incident closed: within that time a later request cannot credit
   * itself with the closed state (twice the clock-skew margin and a minute; default 5 minutes).
   */
  closedMemoryMs?: number;
  /** The preview read and the disposition set (domain/preview.ts); absent: neither happens. */
  preview?: PreviewDeps;
  /** The operator's close reasons (DISPOSITIONS / DISPOSITIONS_FILE, DISPOSITION_REQUIRED). */
  dispositions?: DispositionRules;
}

// Slack redelivers within minutes and a modal is submitted twice within seconds: an hour covers both
// while bounding what a one-process store keeps in memory.
const dedupeTtlMs = 60 * 60 * 1000;
const MARKS = 'request-mark';
/**
 * The mark a request's dedupeKey leaves once its close passed identity and policy, naming the request
 * that made it: a close taken over after a crash (its stored request keeps the key) finds its own mark
 * and goes on, and a replay or a second click finds another's and stops. The confirmation card
 * (preview-incidents.ts) spends its Cancel on the same mark, so Close and Cancel exclude each other,
 * across a crash too.
 *
 * The record in the cache is read first: it remembers a mark across a restart, which a one-process store
 * (sqlite) forgets its locks in (without it a redelivery that reached the restart was closed again).
 * Without a record the lock decides between requests arriving together, and its winner writes the record.
 */
export async function markRequest(
  store: Pick<Store, 'locks' | 'cache'>,
  dedupeKey: string,
  by: string,
): Promise<boolean> {
  // Unreadable: the lock alone decides, as it did before the record existed.
  const recorded = await store.cache.get<string>(MARKS, dedupeKey).catch(() => undefined);
  if (recorded) return recorded === by;
  const mark = await store.locks.acquire(`request:${dedupeKey}`, by, dedupeTtlMs);
  if (!mark.acquired && mark.holder !== by) return false;
  await store.cache.set(MARKS, dedupeKey, by, dedupeTtlMs).catch(() => {});
  return true;
}

/** Gives a mark back: the request was refused before anything was sent, and may be made again. */
export async function unmarkRequest(store: Pick<Store, 'locks' | 'cache'>, dedupeKey: string, by: string) {
  if ((await store.cache.get<string>(MARKS, dedupeKey)) === by) await store.cache.set(MARKS, dedupeKey, '', 1);
  await store.locks.release(`request:${dedupeKey}`, by);
}

/**
 * The close use case: policy → de-duplication → per-incident lock → D3 → outbox → announce.
 * A closure is written to the outbox before it is posted, so a crash between D3's confirmation
 * and the post loses nothing (summaries.replayPending posts it on the next start).
 */
export function createCloseIncident(deps: CloseDeps) {
  const read = deps.preview ? createPreviewReader(deps.preview, deps.log) : undefined;
  return async function closeIncident(asked: CloseRequest): Promise<Outcome> {
    const log = deps.log.child({
      requestId: asked.requestId,
      incident: asked.incidentNumber,
      slackUser: asked.slackUserId,
    });
    const chosen = chooseDisposition(deps.dispositions, asked);
    if ('error' in chosen) {
      await auditWriter(deps, asked, log)('refused', undefined, chosen.error.code);
      return { ok: false, error: chosen.error };
    }
    const req = { ...asked, note: chosen.note, disposition: chosen.disposition?.name };
    const audit = auditWriter(deps, req, log);

    const resolved = await deps.resolveIdentity(req.slackUserId);
    const inAllowedGroup =
      deps.rules.allowedUserGroupIds.length > 0 ? await deps.isInAllowedGroup(req.slackUserId) : undefined;
    const decision = decideClose({ ...req, resolved, inAllowedGroup }, deps.rules);
    if (!decision.allowed) {
      await audit('refused', undefined, decision.error.code);
      return { ok: false, error: decision.error };
    }
    const identity = decision.identity;

    if (req.dedupeKey && !(await markRequest(deps.store, req.dedupeKey, req.requestId))) {
      log.warn({ dedupeKey: req.dedupeKey }, 'duplicate Slack request dropped');
      return { ok: false, error: new CloseError('duplicate_request') };
    }

    const lockKey = incidentLockKey(req.incidentNumber);
    // The holder names this request, not just the user, so a lapsed lock is never released by its old owner.
    const holder = `${req.slackUserId}/${req.requestId}`;
    const lock = await deps.store.locks.acquire(lockKey, holder, deps.lockTtlMs);
    // A taken-over close holds the queue claim, so the lock its dead instance left in this request's name is ours.
    const inherited =
      !lock.acquired && req.queued?.resumed && lock.holder === holder
        ? await deps.store.locks.extend(lockKey, holder, deps.lockTtlMs)
        : false;
    if (!lock.acquired && !inherited) {
      await audit('refused', identity, 'close_in_progress');
      return { ok: false, error: new CloseError('close_in_progress', { holder: lock.holder.split('/')[0] }) };
    }
    const held = keepLock(deps.store.locks, lockKey, holder, deps.lockTtlMs, log);
    try {
      const ahead = { read, disposition: chosen.disposition };
      const signal = req.queued ? AbortSignal.any([held.signal, req.queued.signal]) : held.signal;
      return await closeHoldingLock(deps, req, identity, audit, log, signal, ahead);
    } finally {
      held.stop();
      await deps.store.locks.release(lockKey, holder).catch((e) => log.warn({ err: e }, 'lock release failed'));
    }
  };
}

/**
 * Records a request refused before a close started, in the acknowledgement itself: the D3 queue was
 * already full, or the request came from another workspace (any subcommand, or the modal).
 */
export function createRefusalRecorder(deps: Pick<CloseDeps, 'log' | 'observe' | 'auditTrail'>) {
  return async (req: AuditSubject, code: CloseError['code']): Promise<void> => {
    const log = deps.log.child({ requestId: req.requestId, incident: req.incidentNumber, slackUser: req.slackUserId });
    await auditWriter(deps, req, log)('refused', undefined, code);
  };
}

export const SEEN_CLOSED = 'seen-closed';

/**
 * A close from the durable queue that the stop refused before D3 was asked: the queue leaves it stored
 * for another instance or the restart (close-queue.ts). A close held in memory (the store refused it) or
 * a bulk close is not taken over by anyone, so the same refusal fails it.
 */
const handedOver = (req: CloseRequest, e: CloseError) => req.queued !== undefined && isStopRefusal(e);

/** Closed-by-someone-else and unconfirmed are outcomes of their own; the rest of the errors fail or are unknown. */
export function auditOutcomeOf(code: CloseErrorCode): AuditOutcome {
  if (code === 'closed_by_other' || code === 'closed_unconfirmed') return code;
  return code === 'd3_outcome_unknown' || code === 'lock_lost' ? 'unknown' : 'failed';
}

async function closeHoldingLock(
  deps: CloseDeps,
  req: CloseRequest,
  identity: Identity,
  audit: ReturnType<typeof auditWriter>,
  log: Log,
  signal: AbortSignal,
  ahead: { read?: PreviewReader; disposition?: Disposition },
): Promise<Outcome> {
  const pre =
    ahead.read &&
    deps.preview &&
    (await beforeClose(deps.preview, ahead.read, { ...req, identity, signal, disposition: ahead.disposition }));
  if (pre && !pre.go) {
    if ('alreadyClosed' in pre) await audit('already_closed', identity);
    else if (handedOver(req, pre.error)) await audit('handed_over', identity);
    else await audit(pre.error.code === 'incident_other_site' ? 'refused' : 'failed', identity, pre.auditCode);
    return 'alreadyClosed' in pre
      ? { ok: true, closure: pre.alreadyClosed, d3Username: identity.username }
      : { ok: false, error: pre.error };
  }
  const started = performance.now();
  const seenKey = req.incidentNumber.toUpperCase();
  // Without the store's answer, assume the worst: a closed state is then reported, never credited.
  const closedRecently = await deps.store.cache
    .get<string>(SEEN_CLOSED, seenKey)
    .then((v) => v !== undefined && v !== req.requestId)
    .catch(() => true);
  const sawClosed = () =>
    deps.store.cache
      .set(SEEN_CLOSED, seenKey, req.requestId, deps.closedMemoryMs ?? 300_000)
      .catch((e) => log.warn({ err: e }, 'could not remember the incident as closed'));
  // Should the app die before D3's answer is recorded, the replay finds this and asks D3 (close-intent.ts).
  await deps.store.outbox.put(closeIntent(req, identity)).catch((e) => log.warn({ err: e }, 'close intent not saved'));
  const dropIntent = () => deps.store.outbox.remove(req.requestId).catch(() => {});
  let closure: Closure;
  try {
    closure = await deps.d3.closeIncident({
      username: identity.username,
      site: identity.site,
      incidentNumber: req.incidentNumber,
      note: req.note,
      requestId: req.requestId,
      ...(identity.displayName && { displayName: identity.displayName }),
      signal,
      closedRecently,
      ...(req.queued && { beforeFirstSend: req.queued.beforeFirstSend, attemptedAt: req.queued.attemptedAt }),
    });
  } catch (e) {
    const error = isCloseError(e) ? e : new CloseError('internal', {}, { cause: e });
    const ms = Math.round(performance.now() - started);
    if (error.detail.hint)
      log.error({ code: error.code, status: error.detail.status }, `D3 refused the bot: ${error.detail.hint}`);
    else if (!isCloseError(e)) log.error({ err: e }, 'unexpected error while closing');
    await dropIntent();
    // Deferred, not failed: D3 got no close from here, and the taker-over records its own attempt.
    if (handedOver(req, error)) {
      await audit('handed_over', identity);
      return { ok: false, error };
    }
    const outcome = auditOutcomeOf(error.code);
    if (outcome === 'closed_by_other' || outcome === 'closed_unconfirmed') await sawClosed();
    await audit(outcome, identity, outcome === 'unknown' || outcome === 'failed' ? error.code : undefined, ms);
    return { ok: false, error };
  }
  const d3LatencyMs = Math.round(performance.now() - started);
  if (pre) closure = { ...closure, ...pre.extra };
  await sawClosed();
  if (closure.alreadyClosed) {
    await dropIntent();
    await audit('already_closed', identity, undefined, d3LatencyMs);
    return { ok: true, closure, d3Username: identity.username };
  }
  const delivery = await deps.summaries.deliver({
    id: req.requestId,
    channelId: req.channelId,
    ...(req.threadTs && { threadTs: req.threadTs }),
    slackUserId: req.slackUserId,
    d3Username: identity.username,
    closure,
    requestId: req.requestId,
    createdAt: new Date().toISOString(),
  });
  await audit('closed', identity, undefined, d3LatencyMs);
  return { ok: true, closure, delivery, d3Username: identity.username };
}

export function auditWriter(deps: Pick<CloseDeps, 'observe' | 'auditTrail'>, req: AuditSubject, log: Log) {
  return async (outcome: AuditOutcome, identity?: Identity, code?: string, d3LatencyMs?: number) => {
    // close_incident_closures_total counts close attempts; a refused history or whoami is not one.
    if ((req.action ?? 'close') === 'close') deps.observe?.(outcome, code, d3LatencyMs);
    await deps.auditTrail.record(req, { outcome, identity, code, d3LatencyMs }, log);
  };
}
