/**
 * Closing many incidents in one request. Each incident keeps what a single close gives it: its own
 * de-duplication key, its own lock (renewed while the request runs), its own audit record and D3's
 * truth rules per incident (d3 bulk.ts); only the summary is shared: one post listing what was closed.
 */
import type { Log } from '../log.ts';
import { bulkIntents, checkHeld, commandFor, markItem } from './bulk-before.ts';
import { announceClosed, type BulkItem, type BulkOutcome, type BulkProgress, bulkLimitError } from './bulk-items.ts';
import { auditOutcomeOf, auditWriter, type CloseDeps, SEEN_CLOSED } from './close-incident.ts';
import { chooseDisposition } from './disposition.ts';
import { CloseError } from './errors.ts';
import { type HeldLock, keepLock } from './lock-heartbeat.ts';
import { decideClose } from './policy.ts';
import type { CloseCommand, IncidentBulkCloser, IncidentCloser, ItemResult } from './ports.ts';
import { createPreviewReader } from './preview.ts';
import type { Closure, Identity, Outcome } from './types.ts';

export interface BulkCloseRequest {
  requestId: string;
  /** Slack's id for this submission; each incident is de-duplicated under `<key>:<number>`. */
  dedupeKey?: string;
  slackUserId: string;
  slackTeamId?: string;
  channelId: string;
  /** The alert's thread (message shortcut): the summary is a reply there. */
  threadTs?: string;
  /** Valid, without duplicates (command-text.ts parseIncidentList). */
  incidentNumbers: string[];
  note: string;
  /** The form's close reason; a command's note may start with its short form instead (noteMayName). */
  disposition?: string;
  noteMayName?: boolean;
  /**
   * Called once, and awaited, when the de-duplication marks show this delivery is the first to ask for at
   * least `count` of its incidents: before any lock or D3 call. The edge says "Closing N incidents…" here,
   * so a list redelivered whole (every mark already taken) is never told that, only "already received".
   * A failure here stops nothing: the list is taken and runs on.
   */
  taken?(count: number): Promise<void>;
}

export interface BulkCloseDeps extends CloseDeps {
  d3: IncidentCloser & IncidentBulkCloser;
  /** BULK_MAX. */
  bulkMax: number;
}

interface Held {
  item: BulkItem;
  lock: HeldLock;
  key: string;
  cmd: CloseCommand;
  audit: ReturnType<typeof auditWriter>;
  /** What the preview and the reason add to this incident's closure (title, severity, reason). */
  extra?: Pick<Closure, 'title' | 'severity' | 'disposition'>;
}

export function createBulkClose(deps: BulkCloseDeps) {
  const run = createBulkRun(deps);
  // Anything thrown (the store down, most often) is an outcome too, so the form, which has no
  // response_url for app.error to answer on, still ends in a message. Unknown, not failed: some
  // incidents may have been sent.
  return (asked: BulkCloseRequest, onProgress: BulkProgress = () => {}): Promise<BulkOutcome> =>
    run(asked, onProgress).catch((e: unknown) => {
      deps.log.error({ err: e, requestId: asked.requestId }, 'unexpected error in a bulk close');
      return { ok: false, error: new CloseError('internal', { count: asked.incidentNumbers.length }, { cause: e }) };
    });
}

function createBulkRun(deps: BulkCloseDeps) {
  const read = deps.preview ? createPreviewReader(deps.preview, deps.log) : undefined;
  return async function bulkClose(asked: BulkCloseRequest, onProgress: BulkProgress): Promise<BulkOutcome> {
    // The reason and the note without its short form, as a single close reads them (disposition.ts).
    const chosen = chooseDisposition(deps.dispositions, asked);
    const req = 'error' in chosen ? asked : { ...asked, note: chosen.note, disposition: chosen.disposition?.name };
    const log = deps.log.child({
      requestId: req.requestId,
      slackUser: req.slackUserId,
      incidents: req.incidentNumbers.length,
    });
    const subject = (incidentNumber: string) => ({ ...req, incidentNumber });
    const auditOf = (n: string) => auditWriter(deps, subject(n), log.child({ incident: n }));
    const [first = ''] = req.incidentNumbers;

    const tooMany = bulkLimitError(req.incidentNumbers, deps.bulkMax);
    if (tooMany) {
      await auditOf(first)('refused', undefined, tooMany.code);
      return { ok: false, error: tooMany };
    }
    if ('error' in chosen) {
      for (const n of req.incidentNumbers) await auditOf(n)('refused', undefined, chosen.error.code);
      return { ok: false, error: chosen.error };
    }
    const resolved = await deps.resolveIdentity(req.slackUserId);
    const inAllowedGroup =
      deps.rules.allowedUserGroupIds.length > 0 ? await deps.isInAllowedGroup(req.slackUserId) : undefined;
    const decision = decideClose({ ...req, incidentNumber: first, resolved, inAllowedGroup }, deps.rules);
    if (!decision.allowed) {
      for (const n of req.incidentNumbers) await auditOf(n)('refused', undefined, decision.error.code);
      return { ok: false, error: decision.error };
    }
    const identity = decision.identity;

    const items: BulkItem[] = req.incidentNumbers.map((incidentNumber) => ({ incidentNumber }));
    const fresh = await Promise.all(items.map((it) => markItem(deps, req.dedupeKey, it.incidentNumber, log)));
    // `count` gives the list's wording: its results may never reach the analyst if the bot restarted.
    const duplicate = () => new CloseError('duplicate_request', { count: items.length });
    if (fresh.every((f) => f === false)) {
      log.warn({ dedupeKey: req.dedupeKey }, 'duplicate Slack request dropped');
      return { ok: false, error: duplicate() };
    }
    const refuse = (it: BulkItem, error: CloseError) => {
      it.outcome = { ok: false, error };
    };
    for (const [i, it] of items.entries()) {
      if (fresh[i] === false) refuse(it, duplicate());
      if (fresh[i] === undefined) {
        // Unknown is not "new": it may have been closed by an earlier delivery, so nothing is sent or claimed.
        refuse(it, new CloseError('internal'));
        await auditOf(it.incidentNumber)('failed', identity, 'dedupe_unreadable');
      }
    }
    const taken = fresh.filter((f) => f === true).length;
    if (taken > 0 && req.taken) {
      await req.taken(taken).catch((e: unknown) => log.warn({ err: e }, 'list taken but not told so; closing anyway'));
    }

    const holder = `${req.slackUserId}/${req.requestId}`;
    const held: Held[] = [];
    try {
      for (const it of items.filter((x) => !x.outcome)) {
        const n = it.incidentNumber;
        const key = `incident:${n.toUpperCase()}`;
        const lock = await deps.store.locks.acquire(key, holder, deps.lockTtlMs);
        if (!lock.acquired) {
          refuse(it, new CloseError('close_in_progress', { holder: lock.holder.split('/')[0] }));
          await auditOf(n)('refused', identity, 'close_in_progress');
          continue;
        }
        const hl = keepLock(deps.store.locks, key, holder, deps.lockTtlMs, log.child({ incident: n }));
        const cmd = await commandFor(deps, req, identity, n, hl.signal);
        held.push({ item: it, lock: hl, key, cmd, audit: auditOf(n) });
      }
      // Each incident is read and given its reason first, as a single close is; only those that may go are sent.
      const go = await checkHeld(deps.preview, read, identity, held, { ...req, disposition: chosen.disposition });
      onProgress(items);
      const goNumbers = go.map((h) => h.item.incidentNumber);
      const intents = bulkIntents(deps.store, req, identity, goNumbers, log);
      await intents.put();
      await closeHeld(deps, req, identity, go, items, onProgress, log);
      const announced = await announceClosed(deps.summaries, req, identity.username, items);
      await intents.drop();
      return { ok: true, items, ...announced };
    } finally {
      for (const h of held) {
        h.lock.stop();
        await deps.store.locks.release(h.key, holder).catch((e) => log.warn({ err: e }, 'lock release failed'));
      }
    }
  };
}

/** Sends the closes and records each result as it arrives; an incident D3 never answered for is unknown. */
async function closeHeld(
  deps: BulkCloseDeps,
  req: BulkCloseRequest,
  identity: Identity,
  held: Held[],
  items: BulkItem[],
  onProgress: BulkProgress,
  log: Log,
) {
  if (held.length === 0) return;
  const started = performance.now();
  const byNumber = new Map(held.map((h) => [h.item.incidentNumber, h]));
  const recorded: Promise<void>[] = [];
  const onResult = (n: string, r: ItemResult) => {
    const h = byNumber.get(n);
    if (!h || h.item.outcome) return;
    if (r.ok && h.extra) r = { ok: true, closure: { ...r.closure, ...h.extra } };
    h.item.outcome = outcomeOf(r, identity);
    recorded.push(record(deps, req, h, r, Math.round(performance.now() - started), identity, log));
    onProgress(items);
  };
  await deps.d3
    .closeIncidents(
      held.map((h) => h.cmd),
      onResult,
    )
    .catch((e) => log.error({ err: e }, 'unexpected error in a bulk close'));
  for (const h of held) {
    if (!h.item.outcome) onResult(h.item.incidentNumber, { ok: false, error: new CloseError('d3_outcome_unknown') });
  }
  await Promise.all(recorded);
}

const outcomeOf = (r: ItemResult, identity: Identity): Outcome =>
  r.ok ? { ok: true, closure: r.closure, d3Username: identity.username } : { ok: false, error: r.error };

async function record(
  deps: BulkCloseDeps,
  req: BulkCloseRequest,
  h: Held,
  r: ItemResult,
  ms: number,
  identity: Identity,
  log: Log,
) {
  const sawClosed = () =>
    deps.store.cache
      .set(SEEN_CLOSED, h.item.incidentNumber.toUpperCase(), req.requestId, deps.closedMemoryMs ?? 300_000)
      .catch((e) => log.warn({ err: e }, 'could not remember the incident as closed'));
  if (r.ok) {
    await sawClosed();
    return h.audit(r.closure.alreadyClosed ? 'already_closed' : 'closed', identity, undefined, ms);
  }
  if (r.error.detail.hint)
    log.error({ code: r.error.code, status: r.error.detail.status }, `D3 refused the bot: ${r.error.detail.hint}`);
  const outcome = auditOutcomeOf(r.error.code);
  if (outcome === 'closed_by_other' || outcome === 'closed_unconfirmed') await sawClosed();
  await h.audit(outcome, identity, outcome === 'unknown' || outcome === 'failed' ? r.error.code : undefined, ms);
}
