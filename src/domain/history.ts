import type { Log } from '../log.ts';
import type { AuditTrail } from './audit.ts';
import type { CloseError } from './errors.ts';
import { decideRead, type PolicyRules } from './policy.ts';
import type { ResolveIdentity, Store } from './ports.ts';
import type { AuditRecord } from './types.ts';

export interface HistoryRequest {
  requestId: string;
  slackUserId: string;
  slackTeamId?: string;
  channelId: string;
  incidentNumber: string;
}

export type HistoryResult = { ok: true; records: AuditRecord[] } | { ok: false; error: CloseError };

export interface HistoryDeps {
  rules: PolicyRules;
  resolveIdentity: ResolveIdentity;
  /** Only called when ALLOWED_USER_GROUP_IDS is set. */
  isInAllowedGroup(slackUserId: string): Promise<boolean>;
  store: Pick<Store, 'audit'>;
  auditTrail: AuditTrail;
  log: Log;
}

/**
 * `history <number>`: the close attempts on record, shown only to someone who may close the
 * incident from this channel (policy.decideRead), and only those made on their D3 site. A refusal is
 * audited like a refused close.
 */
export function createHistory(deps: HistoryDeps) {
  return async function history(req: HistoryRequest): Promise<HistoryResult> {
    const resolved = await deps.resolveIdentity(req.slackUserId);
    const inAllowedGroup =
      deps.rules.allowedUserGroupIds.length > 0 ? await deps.isInAllowedGroup(req.slackUserId) : undefined;
    const decision = decideRead({ resolved, channelId: req.channelId, inAllowedGroup }, deps.rules);
    if (!decision.allowed) {
      const log = deps.log.child({
        requestId: req.requestId,
        incident: req.incidentNumber,
        slackUser: req.slackUserId,
      });
      const subject = { ...req, note: '', action: 'history' as const };
      await deps.auditTrail.record(subject, { outcome: 'refused', code: decision.error.code }, log);
      return { ok: false, error: decision.error };
    }
    // D3 lets an analyst close only their own site's incidents: the attempts on other sites are not theirs to read.
    const site = decision.identity.site.toLowerCase();
    const records = await deps.store.audit.history(req.incidentNumber);
    return { ok: true, records: records.filter((r) => r.site === undefined || r.site.toLowerCase() === site) };
  };
}

export type History = ReturnType<typeof createHistory>;
