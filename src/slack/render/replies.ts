/** Short replies to the analyst: the closing notice, help, whoami, map/unmap confirmations. */
import { INCIDENT_NUMBER_EXAMPLE, INCIDENT_NUMBER_MAX, NOTE_MAX_LENGTH } from '../../domain/limits.ts';
import type { Identity } from '../../domain/types.ts';
import { ids } from '../../ids.ts';
import { escapeMrkdwn, safeUserText, userMention } from './escape.ts';
import type { Reply } from './kit.ts';

/** The immediate ephemeral reply while D3 works. */
export function closingNotice(incidentNumber: string): string {
  return `Closing ${safeUserText(incidentNumber)}…`;
}

/** Usage, optionally led by why the command text was refused (`problem` is plain text). */
export function helpMessage(o: { noteRequired: boolean; isAdmin: boolean; problem?: string }): Reply {
  const cmd = ids.command;
  const lines = [
    `*How to use ${cmd}*`,
    `• \`${cmd} <number> <note>\` closes the incident in D3 with your note and posts a summary in this channel.`,
    o.noteRequired
      ? `• \`${cmd} <number>\` opens the close form with the number filled in (a note is required).`
      : `• \`${cmd} <number>\` closes the incident at once, without a note.`,
    `• \`${cmd}\` opens the close form (one incident number a line closes several).`,
    `• \`${cmd} <number>,<number>,<number> <note>\` closes several incidents with one note (commas, no spaces).`,
    `• \`${cmd} <number> fp: <note>\` sets a close reason by its short form (e.g. \`fp\` for False Positive) before closing.`,
    '• *Close incident* in a message’s ⋮ menu (More actions) finds the incident numbers in an alert and opens the form; the summary is a reply in its thread.',
    '• The bot’s *Home* tab shows whom you act as in D3, your last ten close attempts, and a *Close an incident* button.',
    `• \`${cmd} whoami\` shows which D3 user you act as.`,
    `• \`${cmd} history <number>\` lists the close attempts for an incident.`,
    `• \`${cmd} help\` shows this message.`,
  ];
  if (o.isAdmin) {
    lines.push(
      '*Admins*',
      `• \`${cmd} map @user <d3-username> [site]\` makes a Slack user act in D3 as that user (site optional).`,
      `• \`${cmd} unmap @user\` removes that mapping.`,
    );
  }
  lines.push(
    `Incident numbers use letters, digits, - and _, with at least one digit, up to ${INCIDENT_NUMBER_MAX} characters ` +
      `(e.g. ${INCIDENT_NUMBER_EXAMPLE}). Notes may be up to ${NOTE_MAX_LENGTH} characters${o.noteRequired ? ' and are required' : ''}.`,
  );
  const usage = escapeMrkdwn(lines.join('\n'));
  return { text: o.problem ? `:warning: ${safeUserText(o.problem)}\n\n${usage}` : usage };
}

const SOURCE_WORDS: Record<Identity['source'], string> = {
  file: 'from the user map file',
  override: 'set by an admin override',
  email: 'matched by your Slack email',
};

/** Who the analyst acts as in D3, or whom to ask when unmapped. */
export function whoamiMessage(identity: Identity | undefined, o: { supportContact?: string }): Reply {
  if (!identity) {
    const contact = o.supportContact?.trim() ? safeUserText(o.supportContact.trim()) : 'your Slack admin';
    return { text: `You are not mapped to a D3 user. Ask ${contact} to add you to the user map.` };
  }
  const { username, site, source } = identity;
  return {
    text: `You act in D3 as *${safeUserText(username)}* on site *${safeUserText(site)}* (${SOURCE_WORDS[source]}).`,
  };
}

/** Confirms `map` / `unmap` to the admin. */
export function mappingChangedMessage(
  change:
    | { kind: 'map'; slackUserId: string; username: string; site?: string }
    | { kind: 'unmap'; slackUserId: string },
): Reply {
  const who = userMention(change.slackUserId);
  if (change.kind === 'unmap') {
    return {
      text: `Removed the admin mapping for ${who}. If the user map file or their Slack email maps them, that applies again.`,
    };
  }
  const site = change.site?.trim()
    ? `on site *${safeUserText(change.site)}*`
    : 'on the default site (no site was given)';
  return { text: `${who} now acts in D3 as *${safeUserText(change.username)}* ${site}.` };
}

/** The confirmation card after Cancel. */
export function cancelledText(incidentNumber: string): string {
  return `Cancelled: nothing was sent to D3 and ${safeUserText(incidentNumber)} stays as it is.`;
}
