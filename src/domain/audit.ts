import { createHmac } from 'node:crypto';
import type { Log } from '../log.ts';
import type { Store } from './ports.ts';
import type { AuditAction, AuditOutcome, AuditRecord, Identity } from './types.ts';

/** The request an audit record is about: a close, or a refused request of another kind. */
export interface AuditSubject {
  requestId: string;
  incidentNumber: string;
  slackUserId: string;
  slackTeamId?: string;
  slackEnterpriseId?: string;
  note: string;
  /** Absent means a close. */
  action?: AuditAction;
  /** The close reason asked for (D3's name). */
  disposition?: string;
}

export interface AuditEntry {
  outcome: AuditOutcome;
  identity?: Pick<Identity, 'username' | 'site'>;
  code?: string;
  d3LatencyMs?: number;
}

export interface AuditTrailDeps {
  store: Pick<Store, 'audit'>;
  /** AUDIT_NOTE_KEY. Without it no note fingerprint is kept at all (see AuditRecord.noteHmac). */
  noteKey?: { reveal(): string };
  /** Called for each refusal kept out of the log and the store by the per-user bound (a metric). */
  onUnrecorded?: () => void;
  refusalsPerWindow?: number;
  windowMs?: number;
  now?: () => number;
}

export type AuditTrail = ReturnType<typeof createAuditTrail>;

// A person retrying a refused close, or reading why, stays far below this; a script hammering the
// command does not, and its refusals would otherwise sit in the store for 90 days, one record each.
const REFUSALS_PER_WINDOW = 5;
const WINDOW_MS = 60_000;

/**
 * One JSON audit line per attempt, and one store record per close attempt. Refusals are bounded
 * per Slack user: beyond `refusalsPerWindow` in a window, they are counted (onUnrecorded), and one
 * warning per user and window says so, instead of each being logged and stored. The bound is per
 * process: N instances on one Redis keep at most N times as many.
 */
export function createAuditTrail(deps: AuditTrailDeps) {
  const budget = createRefusalBudget(
    deps.refusalsPerWindow ?? REFUSALS_PER_WINDOW,
    deps.windowMs ?? WINDOW_MS,
    deps.now ?? Date.now,
  );
  return {
    async record(s: AuditSubject, e: AuditEntry, log: Log): Promise<void> {
      if (e.outcome === 'refused') {
        const verdict = budget.take(s.slackUserId);
        if (verdict !== 'record') {
          deps.onUnrecorded?.();
          if (verdict === 'first_unrecorded') {
            log.warn(
              { slackUser: s.slackUserId, limit: budget.limit, windowS: budget.windowMs / 1000 },
              'refusals by this Slack user over the limit: counted in close_incident_refusals_unrecorded_total, not recorded one by one, for the rest of the window',
            );
          }
          return;
        }
      }
      const rec: AuditRecord = {
        at: new Date().toISOString(),
        requestId: s.requestId,
        incidentNumber: s.incidentNumber,
        slackUserId: s.slackUserId,
        slackTeamId: s.slackTeamId,
        slackEnterpriseId: s.slackEnterpriseId,
        action: s.action === 'close' ? undefined : s.action,
        d3Username: e.identity?.username,
        site: e.identity?.site,
        noteLength: [...s.note].length,
        disposition: s.disposition,
        noteHmac: deps.noteKey ? createHmac('sha256', deps.noteKey.reveal()).update(s.note).digest('hex') : undefined,
        outcome: e.outcome,
        code: e.code,
        d3LatencyMs: e.d3LatencyMs,
      };
      // The audit line is the operator's record: everything but the note itself. Every key is on every
      // line (null where it does not apply, e.g. no D3 user for an unmapped analyst), so queries need no guards.
      const line = Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, v ?? null]));
      const what = rec.action ? `${rec.action} request` : 'close attempt';
      log.info({ audit: line }, `${what}: ${e.outcome}${e.code ? ` (${e.code})` : ''}`);
      // The store keeps an incident's close attempts (what `history` shows); other refusals are lines only.
      if (rec.action || rec.incidentNumber === '') return;
      await deps.store.audit.append(rec).catch((err) => log.error({ err }, 'audit record not stored'));
    },
  };
}

/**
 * A fixed window per Slack user, opened by their first refusal. Entries are kept in the order their
 * windows opened, so expired ones are pruned from the front; memory is bounded by the users refused
 * within one window (Slack-signed requests, so real users of this workspace).
 */
export function createRefusalBudget(limit: number, windowMs: number, now: () => number) {
  const windows = new Map<string, { opened: number; used: number }>();
  return {
    limit,
    windowMs,
    take(slackUserId: string): 'record' | 'first_unrecorded' | 'unrecorded' {
      const t = now();
      for (const [id, w] of windows) {
        if (t - w.opened < windowMs) break;
        windows.delete(id);
      }
      const w = windows.get(slackUserId) ?? { opened: t, used: 0 };
      windows.set(slackUserId, w);
      w.used += 1;
      if (w.used <= limit) return 'record';
      return w.used === limit + 1 ? 'first_unrecorded' : 'unrecorded';
    },
  };
}
