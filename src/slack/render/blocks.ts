/**
 * Pure Block Kit builders. Every string that came from a user, D3 or config goes through
 * safeUserText; the only markup in our output is mentions we build from validated ids. Sizes follow
 * Slack's limits (header 150, field 2000, text object 3000, modal title 24).
 */
import type { types as slack } from '@slack/bolt';
import { assertNever } from '../../domain/errors.ts';
import { INCIDENT_NUMBER_EXAMPLE, INCIDENT_NUMBER_MAX, NOTE_MAX_LENGTH } from '../../domain/limits.ts';
import type { AuditOutcome, AuditRecord, Closure, Identity } from '../../domain/types.ts';
import { ids } from '../../ids.ts';
import {
  chunkSafeUserText,
  escapeMrkdwn,
  prefixWithin,
  safeUserText,
  safeUserTextWithin,
  truncate,
  userMention,
} from './escape.ts';

/** A message for respond()/ack()/chat.postEphemeral. */
export interface Reply {
  text: string;
  blocks?: slack.KnownBlock[];
}

const HEADER_MAX = 150;
const FIELD_MAX = 2000;
const TEXT_MAX = 3000;
/** Escaped note characters shown in blocks; Slack refuses messages near ~13k characters of blocks. */
const NOTE_BLOCKS_BUDGET = 2 * TEXT_MAX;
const MORE_IN_D3 = '… (full note in D3)';
const NOT_GIVEN = '—';

const plain = (text: string): slack.PlainTextElement => ({ type: 'plain_text', text, emoji: true });
// verbatim: Slack must not auto-link @here, #channel or bare URLs in what we echo.
const mrkdwn = (text: string): slack.MrkdwnElement => ({ type: 'mrkdwn', text, verbatim: true });
const orDash = (s: string | undefined): string => (s?.trim() ? s : NOT_GIVEN);

function field(label: string, value: string): slack.MrkdwnElement {
  return mrkdwn(`*${label}*\n${safeUserTextWithin(orDash(value), FIELD_MAX - label.length - 3)}`);
}

/**
 * The note as plain_text sections, so `*_~` and backticks show literally and nothing in it can
 * become markup; long notes are split across sections and cut with a pointer to D3.
 */
function noteBlocks(note: string): slack.KnownBlock[] {
  if (note.trim() === '') return [{ type: 'section', text: mrkdwn('*Closing note*\n_No note was given._') }];
  const cut = safeUserText(note).length > NOTE_BLOCKS_BUDGET;
  const kept = cut ? prefixWithin(note, NOTE_BLOCKS_BUDGET, MORE_IN_D3.length) : note;
  const pieces = chunkSafeUserText(kept, TEXT_MAX);
  if (cut) {
    const last = pieces.length - 1;
    if ((pieces[last] ?? '').length + MORE_IN_D3.length <= TEXT_MAX) pieces[last] += MORE_IN_D3;
    else pieces.push(MORE_IN_D3);
  }
  return [
    { type: 'section', text: mrkdwn('*Closing note*') },
    ...pieces.map((text): slack.KnownBlock => ({ type: 'section', text: plain(text) })),
  ];
}

/** The closure summary posted in the incident channel (chat.postMessage). */
export function closureSummary(input: { closure: Closure; slackUserId: string; d3Username: string }): {
  text: string;
  blocks: slack.KnownBlock[];
} {
  const c = input.closure;
  const closer = userMention(input.slackUserId);
  const d3Closer = c.closedBy ?? input.d3Username;
  const title = c.alreadyClosed
    ? `Incident ${c.incidentNumber} was already closed`
    : `Incident ${c.incidentNumber} closed`;
  const blocks: slack.KnownBlock[] = [
    { type: 'header', text: plain(safeUserTextWithin(title, HEADER_MAX)) },
    {
      type: 'section',
      fields: [
        mrkdwn(`*${c.alreadyClosed ? 'Requested in Slack by' : 'Closed in Slack by'}*\n${closer}`),
        field('Closed in D3 by', d3Closer),
        field('Close type', orDash(c.closeType)),
        field('Close date', orDash(c.closeDate)),
        field('Site', c.site),
      ],
    },
    ...noteBlocks(c.note),
  ];
  if (c.partial) {
    const words =
      'D3 confirmed the closure but did not return all of its details; see the incident in D3 for the rest.';
    blocks.push({ type: 'context', elements: [mrkdwn(words)] });
  }
  const s = safeUserText;
  const text =
    `${s(title)}. ${c.alreadyClosed ? 'Requested' : 'Closed'} in Slack by ${closer}, in D3 by ${s(orDash(d3Closer))}. ` +
    `Close type: ${s(orDash(c.closeType))}. ` +
    `Close date: ${s(orDash(c.closeDate))}. Site: ${s(orDash(c.site))}. ` +
    `Note: ${c.note.trim() ? safeUserTextWithin(c.note, TEXT_MAX, MORE_IN_D3) : 'none'}`;
  return { text, blocks };
}

/** The close form, pre-filled from the command when it can be. */
export function closeModal(o: {
  incidentNumber?: string;
  note?: string;
  privateMetadata: string;
  noteRequired: boolean;
}): slack.ModalView {
  return {
    type: 'modal',
    callback_id: ids.closeModal,
    private_metadata: o.privateMetadata,
    title: plain('Close incident'),
    submit: plain('Close incident'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'input',
        block_id: ids.incidentBlock,
        label: plain('Incident number'),
        hint: plain('Letters, digits, - and _, with at least one digit.'),
        element: {
          type: 'plain_text_input',
          action_id: ids.incidentInput,
          max_length: INCIDENT_NUMBER_MAX,
          placeholder: plain(INCIDENT_NUMBER_EXAMPLE),
          // Input values are shown as typed; Slack does not decode entities in them.
          ...(o.incidentNumber ? { initial_value: truncate(o.incidentNumber, INCIDENT_NUMBER_MAX, '') } : {}),
        },
      },
      {
        type: 'input',
        block_id: ids.noteBlock,
        label: plain('Closing note'),
        ...(o.noteRequired ? {} : { optional: true }),
        element: {
          type: 'plain_text_input',
          action_id: ids.noteInput,
          multiline: true,
          max_length: NOTE_MAX_LENGTH,
          ...(o.note ? { initial_value: truncate(o.note, NOTE_MAX_LENGTH, '') } : {}),
        },
      },
    ],
  };
}

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
    `• \`${cmd}\` opens the close form.`,
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

const HISTORY_MAX = 20;

function outcomeWord(o: AuditOutcome): string {
  switch (o) {
    case 'closed':
      return 'closed';
    case 'already_closed':
      return 'already closed';
    case 'closed_by_other':
      return 'closed by someone else';
    case 'closed_unconfirmed':
      return 'closed, not confirmed as this request';
    case 'refused':
      return 'refused';
    case 'failed':
      return 'failed';
    case 'unknown':
      return 'outcome unknown';
    default:
      return assertNever(o);
  }
}

function formatTime(at: string): string {
  const t = Date.parse(at);
  return Number.isNaN(t) ? safeUserText(at) : `${new Date(t).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function historyLine(r: AuditRecord): string {
  const who = r.d3Username ? `as ${safeUserText(r.d3Username)}` : 'no D3 user';
  const code = r.code ? ` (${safeUserText(r.code)})` : '';
  const latency = r.d3LatencyMs === undefined ? 'D3 not called' : `D3 ${(r.d3LatencyMs / 1000).toFixed(1)} s`;
  return `• ${formatTime(r.at)} — ${userMention(r.slackUserId)} ${who} — ${outcomeWord(r.outcome)}${code} — note ${r.noteLength} chars — ${latency}`;
}

/** Close attempts for one incident, newest first, at most 20 lines. */
export function historyMessage(incidentNumber: string, records: readonly AuditRecord[]): Reply {
  const n = safeUserText(incidentNumber);
  if (records.length === 0) return { text: `No close attempts recorded for ${n}.` };
  const time = (r: AuditRecord) => Date.parse(r.at) || 0;
  const newestFirst = [...records].sort((a, b) => time(b) - time(a));
  const lines = newestFirst.slice(0, HISTORY_MAX).map(historyLine);
  const older = records.length - HISTORY_MAX;
  if (older > 0) lines.push(`…and ${older} older attempt${older === 1 ? '' : 's'} not shown.`);
  return { text: `Close attempts for *${n}*, newest first:\n${lines.join('\n')}` };
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
