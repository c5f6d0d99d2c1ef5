import { incidentNumberProblem } from './command-text.ts';
import { CloseError } from './errors.ts';
import type { Resolved } from './ports.ts';
import type { Identity, SlackPerson } from './types.ts';

/** The rules a deployment sets (config.policy). */
export interface PolicyRules {
  noteRequired: boolean;
  maxNoteLength: number;
  allowedChannelIds: readonly string[];
  allowedUserGroupIds: readonly string[];
  adminUserIds: readonly string[];
}

/** Who installed the bot, from auth.test at start-up: the one workspace (or Enterprise org) it serves. */
export interface Installation {
  teamId: string;
  enterpriseId?: string;
  /** An org-wide install serves every workspace of `enterpriseId`; a workspace install serves `teamId` only. */
  enterpriseInstall: boolean;
}

/** Where a request says it comes from: every team and enterprise id its payload carries (absent ones skipped). */
export interface Origin {
  teamIds: readonly (string | null | undefined)[];
  enterpriseIds: readonly (string | null | undefined)[];
}

/** Who asks, from where, and whether they are in ALLOWED_USER_GROUP_IDS (undefined when none are configured). */
export interface Access {
  resolved: Resolved;
  channelId: string;
  inAllowedGroup: boolean | undefined;
}

export interface CloseAttempt extends Access {
  incidentNumber: string;
  note: string;
}

export type Decision = { allowed: true; identity: Identity } | { allowed: false; error: CloseError };

/**
 * Who may close what, in one place. Checked in this order so the analyst hears about the thing
 * they can fix themselves first: the input, then where they are, then who they are.
 */
export function decideClose(a: CloseAttempt, rules: PolicyRules): Decision {
  const inputError = inputProblems(a.incidentNumber, a.note, rules);
  const first = inputError.incident ?? inputError.note;
  if (first) return refuse(first);
  return decideAccess(a, rules);
}

/**
 * Who may read an incident's close attempts (`history`): exactly who may close it, so the D3 users
 * and sites on record are shown to no one a close would refuse, and with the same refusal.
 */
export function decideRead(a: Access, rules: PolicyRules): Decision {
  return decideAccess(a, rules);
}

function decideAccess(a: Access, rules: PolicyRules): Decision {
  if (rules.allowedChannelIds.length > 0 && !rules.allowedChannelIds.includes(a.channelId)) {
    return refuse(new CloseError('channel_not_allowed'));
  }
  if (!a.resolved.identity) {
    return refuse(new CloseError(a.resolved.mapped ? 'user_no_site' : 'user_unmapped'));
  }
  if (rules.allowedUserGroupIds.length > 0 && a.inAllowedGroup !== true) {
    return refuse(new CloseError('user_not_in_group'));
  }
  return { allowed: true, identity: a.resolved.identity };
}

/**
 * A request from outside the installation (another workspace, a Slack Connect partner's org) is
 * refused before anything else: every team and enterprise id in the payload must be the
 * installation's. A workspace install needs at least one team id to match; an org-wide install
 * needs the enterprise id. A payload that names neither proves nothing and is refused too.
 */
export function decideOrigin(o: Origin, inst: Installation): CloseError | undefined {
  const teams = present(o.teamIds);
  const enterprises = present(o.enterpriseIds);
  const enterpriseOk =
    enterprises.every((e) => e === inst.enterpriseId) && (!inst.enterpriseInstall || enterprises.length > 0);
  const teamOk = inst.enterpriseInstall || (teams.length > 0 && teams.every((t) => t === inst.teamId));
  return enterpriseOk && teamOk ? undefined : new CloseError('foreign_workspace');
}

/**
 * Why a Slack user may not be matched to the user map by their profile email, or undefined when
 * they may. Only a confirmed email of a full member of the installation's own workspace (or org)
 * counts: anyone can type an address into a profile until Slack confirms it, guests (multi- and
 * single-channel) are invited by address without the org's identity provider vouching for it, and
 * a Slack Connect stranger's email is managed by another organisation. Such users can still be
 * mapped by their Slack user ID in the file or by an admin's `map`.
 */
export function emailMatchProblem(p: SlackPerson, inst: Installation): string | undefined {
  if (!p.email) return 'no email on the Slack profile';
  if (!p.emailConfirmed) return 'email not confirmed in Slack';
  if (p.deleted || p.bot) return 'deactivated account or bot';
  if (p.stranger) return 'user of another organisation (Slack Connect)';
  if (p.guest) return 'guest account';
  const sameOrg = inst.enterpriseInstall
    ? p.enterpriseId === inst.enterpriseId
    : p.teamIds.includes(inst.teamId) && (p.enterpriseId === undefined || p.enterpriseId === inst.enterpriseId);
  return sameOrg ? undefined : 'user of another workspace or organisation';
}

/** Field-level problems, shared by the command path and the modal's inline errors. */
export function inputProblems(
  incidentNumber: string,
  note: string,
  rules: Pick<PolicyRules, 'noteRequired' | 'maxNoteLength'>,
): { incident?: CloseError; note?: CloseError } {
  const out: { incident?: CloseError; note?: CloseError } = {};
  const reason = incidentNumberProblem(incidentNumber);
  if (reason) out.incident = new CloseError('bad_incident_number', { reason });
  if (rules.noteRequired && note.trim() === '') out.note = new CloseError('note_missing');
  else if ([...note].length > rules.maxNoteLength) out.note = new CloseError('note_too_long');
  return out;
}

/** Only configured admins may change the user map from Slack. */
export function mayAdminister(slackUserId: string, rules: Pick<PolicyRules, 'adminUserIds'>): boolean {
  return rules.adminUserIds.includes(slackUserId);
}

const refuse = (error: CloseError): Decision => ({ allowed: false, error });
const present = (ids: Origin['teamIds']): string[] => ids.filter((x): x is string => typeof x === 'string' && x !== '');
