import { createHash } from 'node:crypto';
import type { D3Gateway } from '../d3/types.ts';
import type { ResolveIdentity } from '../identity/user-map.ts';
import type { Log } from '../log.ts';
import type { Store } from '../store/ports.ts';
import { CloseError, type CloseErrorCode, isCloseError } from './errors.ts';
import { keepLock } from './lock-heartbeat.ts';
import { decideClose, type PolicyRules } from './policy.ts';
import type { SummaryDeliverer } from './summaries.ts';
import type { AuditOutcome, AuditRecord, Closure, Identity, Outcome } from './types.ts';

export interface CloseRequest {
  requestId: string;
  /** Slack's id for this one submission (trigger_id of a command, id of a modal view): replays are dropped. */
  dedupeKey?: string;
  slackUserId: string;
  slackTeamId?: string;
  channelId: string;
  incidentNumber: string;
  note: string;
}

export interface CloseDeps {
  rules: PolicyRules;
  resolveIdentity: ResolveIdentity;
  /** Only called when ALLOWED_USER_GROUP_IDS is set. */
  isInAllowedGroup(slackUserId: string): Promise<boolean>;
  d3: D3Gateway;
  store: Store;
  summaries: SummaryDeliverer;
  log: Log;
  /** Counts outcomes and D3 latency; optional so tests can leave it out. */
  observe?: (outcome: AuditOutcome, code: string | undefined, d3LatencyMs: number | undefined) => void;
  /** The per-incident lock's TTL; the close renews it every third of that while it runs. */
  lockTtlMs: number;
  /**
   * How long the bot remembers seeing an incident closed: within that time a later request cannot credit
   * itself with the closed state (twice the clock-skew margin and a minute; default 5 minutes).
   */
  closedMemoryMs?: number;
}

// Slack redelivers within minutes and a modal is submitted twice within seconds: an hour covers both
// while bounding what a one-process store keeps in memory.
const dedupeTtlMs = 60 * 60 * 1000;

/**
 * The close use case: policy → de-duplication → per-incident lock → D3 → outbox → announce.
 * A closure is written to the outbox before it is posted, so a crash between D3's confirmation
 * and the post loses nothing (summaries.replayPending posts it on the next start).
 */
export function createCloseIncident(deps: CloseDeps) {
  return async function closeIncident(req: CloseRequest): Promise<Outcome> {
    const log = deps.log.child({ requestId: req.requestId, incident: req.incidentNumber, slackUser: req.slackUserId });
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

    if (req.dedupeKey && !(await deps.store.once(`request:${req.dedupeKey}`, dedupeTtlMs))) {
      log.warn({ dedupeKey: req.dedupeKey }, 'duplicate Slack request dropped');
      return { ok: false, error: new CloseError('duplicate_request') };
    }

    const lockKey = `incident:${req.incidentNumber.toUpperCase()}`;
    // The holder names this request, not just the user, so a lapsed lock is never released by its old owner.
    const holder = `${req.slackUserId}/${req.requestId}`;
    const lock = await deps.store.locks.acquire(lockKey, holder, deps.lockTtlMs);
    if (!lock.acquired) {
      await audit('refused', identity, 'close_in_progress');
      return { ok: false, error: new CloseError('close_in_progress', { holder: lock.holder.split('/')[0] }) };
    }
    const held = keepLock(deps.store.locks, lockKey, holder, deps.lockTtlMs, log);
    try {
      return await closeHoldingLock(deps, req, identity, audit, log, held.signal);
    } finally {
      held.stop();
      await deps.store.locks.release(lockKey, holder).catch((e) => log.warn({ err: e }, 'lock release failed'));
    }
  };
}

/**
 * Records a close refused before it started (e.g. the D3 queue was already full when Slack's
 * request arrived, so the refusal went out in the acknowledgement itself).
 */
export function createRefusalRecorder(deps: Pick<CloseDeps, 'log' | 'observe' | 'store'>) {
  return async (req: CloseRequest, code: CloseError['code']): Promise<void> => {
    const log = deps.log.child({ requestId: req.requestId, incident: req.incidentNumber, slackUser: req.slackUserId });
    await auditWriter(deps, req, log)('refused', undefined, code);
  };
}

const SEEN_CLOSED = 'seen-closed';

/** Closed-by-someone-else and unconfirmed are outcomes of their own; the rest of the errors fail or are unknown. */
function auditOutcomeOf(code: CloseErrorCode): AuditOutcome {
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
): Promise<Outcome> {
  const started = performance.now();
  const seenKey = req.incidentNumber.toUpperCase();
  // Without the store's answer, assume the worst: a closed state is then reported, never credited.
  const closedRecently = await deps.store.cache
    .get<string>(SEEN_CLOSED, seenKey)
    .then((v) => v !== undefined)
    .catch(() => true);
  const sawClosed = () =>
    deps.store.cache
      .set(SEEN_CLOSED, seenKey, req.requestId, deps.closedMemoryMs ?? 300_000)
      .catch((e) => log.warn({ err: e }, 'could not remember the incident as closed'));
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
    });
  } catch (e) {
    const error = isCloseError(e) ? e : new CloseError('internal', {}, { cause: e });
    const ms = Math.round(performance.now() - started);
    if (error.detail.hint)
      log.error({ code: error.code, status: error.detail.status }, `D3 refused the bot: ${error.detail.hint}`);
    else if (!isCloseError(e)) log.error({ err: e }, 'unexpected error while closing');
    const outcome = auditOutcomeOf(error.code);
    if (outcome === 'closed_by_other' || outcome === 'closed_unconfirmed') await sawClosed();
    await audit(outcome, identity, outcome === 'unknown' || outcome === 'failed' ? error.code : undefined, ms);
    return { ok: false, error };
  }
  const d3LatencyMs = Math.round(performance.now() - started);
  await sawClosed();
  if (closure.alreadyClosed) {
    await audit('already_closed', identity, undefined, d3LatencyMs);
    return { ok: true, closure, d3Username: identity.username };
  }
  const delivery = await deps.summaries.deliver({
    id: req.requestId,
    channelId: req.channelId,
    slackUserId: req.slackUserId,
    d3Username: identity.username,
    closure,
    requestId: req.requestId,
    createdAt: new Date().toISOString(),
  });
  await audit('closed', identity, undefined, d3LatencyMs);
  return { ok: true, closure, delivery, d3Username: identity.username };
}

function auditWriter(deps: Pick<CloseDeps, 'observe' | 'store'>, req: CloseRequest, log: Log) {
  return async (outcome: AuditOutcome, identity?: Identity, code?: string, d3LatencyMs?: number) => {
    const rec: AuditRecord = {
      at: new Date().toISOString(),
      requestId: req.requestId,
      incidentNumber: req.incidentNumber,
      slackUserId: req.slackUserId,
      slackTeamId: req.slackTeamId,
      d3Username: identity?.username,
      site: identity?.site,
      noteLength: [...req.note].length,
      noteSha256: createHash('sha256').update(req.note).digest('hex'),
      outcome,
      code,
      d3LatencyMs,
    };
    // The audit line is the operator's record: everything but the note itself. Every key is on every
    // line (null where it does not apply, e.g. no D3 user for an unmapped analyst), so queries need no guards.
    const line = Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, v ?? null]));
    log.info({ audit: line }, `close attempt: ${outcome}${code ? ` (${code})` : ''}`);
    deps.observe?.(outcome, code, d3LatencyMs);
    await deps.store.audit.append(rec).catch((e) => log.error({ err: e }, 'audit record not stored'));
  };
}
