import type { SlashCommand, ViewSubmitAction } from '@slack/bolt';
import type { AuditSubject } from '../domain/audit.ts';
import type { ParsedCommand } from '../domain/command-text.ts';
import type { CloseError } from '../domain/errors.ts';
import { decideOrigin, type Origin } from '../domain/policy.ts';
import type { ListenerDeps } from './deps.ts';

type Refused = Omit<AuditSubject, 'requestId'>;

/**
 * Refuses a request from outside the installation's workspace or organisation before anything else
 * runs (policy.decideOrigin): `reply` puts the refusal in the acknowledgement, then it is audited.
 * True when the request was refused.
 */
export async function refusedOutsider(
  deps: ListenerDeps,
  origin: Origin,
  subject: Refused,
  reply: (error: CloseError) => Promise<void>,
): Promise<boolean> {
  const error = decideOrigin(origin, deps.installation);
  if (!error) return false;
  await reply(error);
  await deps.recordRefusal({ ...subject, requestId: deps.newRequestId() }, error.code);
  return true;
}

export function commandOrigin(c: SlashCommand): Origin {
  return { teamIds: [c.team_id], enterpriseIds: [c.enterprise_id] };
}

/** The request a slash command makes, for the audit of its refusal. */
export function commandSubject(c: SlashCommand, input: ParsedCommand): Refused {
  return {
    slackUserId: c.user_id,
    slackTeamId: c.team_id,
    slackEnterpriseId: c.enterprise_id,
    incidentNumber: 'incidentNumber' in input ? (input.incidentNumber ?? '') : '',
    note: input.kind === 'close' ? input.note : '',
    action: input.kind,
  };
}

/** A view carries the team it was opened in and the user's own team; both must be the installation's. */
export function viewOrigin(b: ViewSubmitAction): Origin {
  return { teamIds: [b.team?.id, b.user.team_id], enterpriseIds: [b.enterprise?.id, b.team?.enterprise_id] };
}

/** The close a submitted modal asks for, for the audit of its refusal. */
export function viewSubject(b: ViewSubmitAction, incidentNumber: string, note: string): Refused {
  const slackTeamId = b.team?.id ?? b.user.team_id;
  return {
    slackUserId: b.user.id,
    slackTeamId,
    slackEnterpriseId: b.enterprise?.id,
    incidentNumber,
    note,
    action: 'close',
  };
}
