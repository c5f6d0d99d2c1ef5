import type { BlockAction, SlashCommand, ViewSubmitAction } from '@slack/bolt';
import type { ParsedCommand } from '../domain/command-text.ts';
import type { RefusedSubject } from '../domain/origin-gate.ts';
import type { Origin } from '../domain/policy.ts';

/** Where a Slack request came from and what it asked for, read from its payload for the origin gate. */
export function commandOrigin(c: SlashCommand): Origin {
  return { teamIds: [c.team_id], enterpriseIds: [c.enterprise_id] };
}

/**
 * Who asks, from where, under which de-duplication key: what a close typed in the command (one incident
 * or a list) carries. Slack redelivers a command with the same trigger_id, so it names the request.
 */
export function commandCloseFields(c: SlashCommand, requestId: string) {
  return {
    requestId,
    dedupeKey: `command:${c.trigger_id}`,
    slackUserId: c.user_id,
    slackTeamId: c.team_id,
    channelId: c.channel_id,
    // Typed in the command: the note may start with a close reason's short form (`fp:`; disposition.ts).
    noteMayName: true,
  };
}

/** The request a slash command makes, for the audit of its refusal. */
export function commandSubject(c: SlashCommand, input: ParsedCommand): RefusedSubject {
  return {
    slackUserId: c.user_id,
    slackTeamId: c.team_id,
    slackEnterpriseId: c.enterprise_id,
    incidentNumber:
      'incidentNumber' in input
        ? (input.incidentNumber ?? '')
        : 'incidentNumbers' in input
          ? input.incidentNumbers.join(',')
          : '',
    note: input.kind === 'close' || input.kind === 'bulk' ? input.note : '',
    action: input.kind === 'bulk' ? 'close' : input.kind,
  };
}

/** A view carries the team it was opened in and the user's own team; both must be the installation's. */
export function viewOrigin(b: ViewSubmitAction): Origin {
  return { teamIds: [b.team?.id, b.user.team_id], enterpriseIds: [b.enterprise?.id, b.team?.enterprise_id] };
}

/** The close a submitted modal asks for, for the audit of its refusal. */
export function viewSubject(b: ViewSubmitAction, incidentNumber: string, note: string): RefusedSubject {
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

/** A click or a typed value: the team it came from and the user's own team, as for a view. */
export function actionOrigin(b: BlockAction): Origin {
  return { teamIds: [b.team?.id, b.user.team_id], enterpriseIds: [b.enterprise?.id, b.team?.enterprise_id] };
}
