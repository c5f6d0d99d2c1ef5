/** The closure summary posted in the incident channel (chat.postMessage). */
import type { types as slack } from '@slack/bolt';
import type { Closure } from '../../domain/types.ts';
import { slackDateOfD3 } from './dates.ts';
import { chunkSafeUserText, prefixWithin, safeUserText, safeUserTextWithin, userMention } from './escape.ts';
import { field, HEADER_MAX, MORE_IN_D3, mrkdwn, orDash, plain, TEXT_MAX } from './kit.ts';
import { openInD3 } from './preview.ts';

/** Escaped note characters shown in blocks; Slack refuses messages near ~13k characters of blocks. */
const NOTE_BLOCKS_BUDGET = 2 * TEXT_MAX;

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
export function closureSummary(input: {
  closure: Closure;
  slackUserId: string;
  d3Username: string;
  /** The incident's page in D3 (D3_INCIDENT_URL_TEMPLATE): an "Open in D3" button. */
  incidentUrl?: string;
  /** D3_TIMEZONE, for D3 dates written without a zone. */
  timeZone?: string;
}): {
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
    // Title and severity come from the preview read, the reason from what the bot set: each only when known.
    ...(c.title ? [{ type: 'section', text: mrkdwn(`*${safeUserTextWithin(c.title, TEXT_MAX - 4)}*`) } as const] : []),
    {
      type: 'section',
      fields: [
        mrkdwn(`*${c.alreadyClosed ? 'Requested in Slack by' : 'Closed in Slack by'}*\n${closer}`),
        field('Closed in D3 by', d3Closer),
        field('Close type', orDash(c.closeType)),
        // Each reader sees it in their own time zone; D3's own text where the instant is not certain.
        mrkdwn(`*Close date*\n${c.closeDate?.trim() ? slackDateOfD3(c.closeDate, input.timeZone) : orDash(undefined)}`),
        field('Site', c.site),
        ...(c.severity ? [field('Severity', c.severity)] : []),
        ...(c.disposition ? [field('Close reason', c.disposition)] : []),
      ],
    },
    ...noteBlocks(c.note),
    ...openInD3(input.incidentUrl),
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
    `Close date: ${c.closeDate?.trim() ? slackDateOfD3(c.closeDate, input.timeZone) : orDash(undefined)}. Site: ${s(orDash(c.site))}. ` +
    (c.title ? `Title: ${safeUserTextWithin(c.title, 200)}. ` : '') +
    (c.severity ? `Severity: ${s(c.severity)}. ` : '') +
    (c.disposition ? `Close reason: ${s(c.disposition)}. ` : '') +
    `Note: ${c.note.trim() ? safeUserTextWithin(c.note, TEXT_MAX, MORE_IN_D3) : 'none'}`;
  return { text, blocks };
}
