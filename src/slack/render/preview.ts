/**
 * The incident preview: fields from getIncidentStaticField in the close modal (one incident, or one
 * line per number for several) and the confirmation card with Close and Cancel (CONFIRM_BEFORE_CLOSE).
 */
import type { types as slack } from '@slack/bolt';
import type { IncidentState } from '../../domain/ports.ts';
import { PREVIEW_MAX_LINES, type PreviewLine } from '../../domain/preview-incidents.ts';
import { ids } from '../../ids.ts';
import { safeUserText, safeUserTextWithin } from './escape.ts';
import { field, mrkdwn, orDash, plain, type Reply, TEXT_MAX } from './kit.ts';

export type { PreviewLine };

/** The "Open in D3" address for one incident, from D3_INCIDENT_URL_TEMPLATE. */
export const incidentUrl = (template: string | undefined, n: string): string | undefined =>
  template ? template.replaceAll('{number}', encodeURIComponent(n)) : undefined;

/** A link button (Slack opens the URL; the click still reaches us as block_actions, which we just ack). */
export function openInD3(url: string | undefined): slack.KnownBlock[] {
  if (!url) return [];
  const button: slack.Button = { type: 'button', action_id: ids.openInD3, text: plain('Open in D3'), url };
  return [{ type: 'actions', block_id: ids.openInD3Block, elements: [button] }];
}

function flag(line: PreviewLine): string | undefined {
  const s = line.state;
  const n = safeUserText(line.incidentNumber);
  if (line.problem === 'unknown')
    return `:warning: D3 does not show ${n}${line.said ? ` (“${safeUserTextWithin(line.said, 200)}”)` : ''}; check the number.`;
  if (line.problem === 'unreadable') return `${n}: no preview (D3 did not answer); it can still be closed.`;
  if (line.problem === 'not_mapped') return `${n}: no preview (you are not mapped to a D3 user).`;
  if (s?.closed) {
    const by = s.closedBy ? ` by ${safeUserText(s.closedBy)}` : '';
    const on = s.dateClosed ? ` on ${safeUserText(s.dateClosed)}` : '';
    return `:warning: ${n} is already closed${by}${on}; closing it again changes nothing.`;
  }
  return undefined;
}

/** The preview blocks for the modal: fields for one incident, a line per number for several. */
export function previewBlocks(lines: PreviewLine[]): slack.KnownBlock[] {
  if (lines.length === 0) return [];
  const [only] = lines;
  if (lines.length === 1 && only) {
    const warn = flag(only);
    const s = only.state;
    const out: slack.KnownBlock[] = [];
    if (warn) out.push({ type: 'section', block_id: ids.previewBlock, text: mrkdwn(warn) });
    if (s && !only.problem)
      out.push({ type: 'section', block_id: `${ids.previewBlock}_fields`, fields: stateFields(s) });
    return out;
  }
  const shown = lines.slice(0, PREVIEW_MAX_LINES).map((l) => {
    const s = l.state;
    const body =
      s && !s.closed
        ? `${safeUserTextWithin(orDash(s.title), 80)} · ${safeUserText(orDash(s.severity))} · ${safeUserText(s.status)}`
        : '';
    return `• *${safeUserText(l.incidentNumber)}* ${flag(l) ?? body}`;
  });
  if (lines.length > PREVIEW_MAX_LINES) shown.push(`…and ${lines.length - PREVIEW_MAX_LINES} more`);
  return [{ type: 'section', block_id: ids.previewBlock, text: mrkdwn(shown.join('\n').slice(0, TEXT_MAX)) }];
}

function stateFields(s: IncidentState): slack.MrkdwnElement[] {
  return [
    field('Title', orDash(s.title)),
    field('Severity', orDash(s.severity)),
    field('Status', s.status),
    field('Owner', orDash(s.owner)),
    field('Site', orDash(s.site)),
    field('Type', orDash(s.type)),
    field('Created', orDash(s.dateCreated)),
  ];
}

/** The ephemeral card a command answers with when CONFIRM_BEFORE_CLOSE=true. */
export function confirmCard(o: {
  line: PreviewLine;
  note: string;
  disposition?: string;
  /** Sealed button values (slack/button-value.ts): Close and Cancel. */
  closeValue: string;
  cancelValue: string;
  url?: string;
}): Reply {
  const n = safeUserText(o.line.incidentNumber);
  const warn = flag(o.line);
  const blocks: slack.KnownBlock[] = [
    {
      type: 'section',
      text: mrkdwn(
        `*Close ${n}?* Nothing is sent to D3 until you press Close (the buttons work for 10 minutes, once).`,
      ),
    },
  ];
  if (warn) blocks.push({ type: 'section', text: mrkdwn(warn) });
  if (o.line.state && !o.line.problem) blocks.push({ type: 'section', fields: stateFields(o.line.state) });
  const reason = o.disposition ? [field('Close reason', o.disposition)] : [];
  blocks.push({ type: 'section', fields: [...reason, field('Closing note', o.note.trim() ? o.note : '—')] });
  const buttons: slack.Button[] = [
    { type: 'button', action_id: ids.confirmClose, text: plain('Close'), style: 'danger', value: o.closeValue },
    { type: 'button', action_id: ids.cancelClose, text: plain('Cancel'), value: o.cancelValue },
  ];
  if (o.url) buttons.push({ type: 'button', action_id: ids.openInD3, text: plain('Open in D3'), url: o.url });
  blocks.push({ type: 'actions', block_id: ids.confirmBlock, elements: buttons });
  return { text: `Close ${n}? Press Close to send it to D3, or Cancel.`, blocks };
}
