import type { Resolved } from '../identity/user-map.ts';
import { incidentNumberProblem } from './command-text.ts';
import { CloseError } from './errors.ts';
import type { Identity } from './types.ts';

/** The rules a deployment sets (config.policy). */
export interface PolicyRules {
  noteRequired: boolean;
  maxNoteLength: number;
  allowedChannelIds: readonly string[];
  allowedUserGroupIds: readonly string[];
  adminUserIds: readonly string[];
}

export interface CloseAttempt {
  resolved: Resolved;
  incidentNumber: string;
  note: string;
  channelId: string;
  /** Whether the user is in one of ALLOWED_USER_GROUP_IDS; undefined when no groups are configured. */
  inAllowedGroup: boolean | undefined;
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
