/** A bulk close: the analyst's result list (filled in as results arrive) and the one channel summary. */
import type { types as slack } from '@slack/bolt';
import type { BulkItem, FirstAnswer } from '../../domain/bulk-items.ts';
import type { Outcome, PendingSummary, SummaryDelivery } from '../../domain/types.ts';
import { channelMention, safeUserText, safeUserTextWithin, userMention } from './escape.ts';
import { HEADER_MAX, MORE_IN_D3, mrkdwn, orDash, plain, type Reply, TEXT_MAX } from './kit.ts';
import { errorMessage } from './messages.ts';

export type ItemKind = 'closed' | 'already_closed' | 'failed' | 'unknown' | 'refused' | 'waiting';

const LABEL: Record<ItemKind, string> = {
  closed: 'closed',
  already_closed: 'already closed',
  failed: 'failed',
  unknown: 'outcome unknown',
  refused: 'refused',
  waiting: 'waiting',
};
const ORDER: ItemKind[] = ['closed', 'already_closed', 'failed', 'unknown', 'refused', 'waiting'];
const LINE_MAX = 600;
const D3_WORDS_MAX = 200;
/** Slack allows 50 blocks; the list keeps a few for the header and the summary line. */
const LIST_BLOCKS_MAX = 45;

/** Which group of the list an incident's outcome belongs to; anything unproven is never "closed". */
export function itemKind(o: Outcome | undefined): ItemKind {
  if (!o) return 'waiting';
  if (o.ok) return o.closure.alreadyClosed ? 'already_closed' : 'closed';
  switch (o.error.code) {
    case 'closed_by_other':
      return 'already_closed';
    case 'd3_outcome_unknown':
    case 'd3_bad_reply':
    case 'closed_unconfirmed':
    case 'lock_lost':
    case 'internal':
      return 'unknown';
    case 'close_in_progress':
    case 'duplicate_request':
    case 'queue_full':
      return 'refused';
    default:
      return 'failed';
  }
}

function itemLine(it: BulkItem, ctx: { supportContact?: string }): string {
  const n = safeUserText(it.incidentNumber);
  const o = it.outcome;
  const kind = itemKind(o);
  let detail = '';
  if (o?.ok) {
    const c = o.closure;
    const by = c.closedBy?.trim() ? ` by ${safeUserText(c.closedBy)}` : '';
    const on = c.closeDate?.trim() ? ` on ${safeUserText(c.closeDate)}` : '';
    detail = `${by}${on}`;
  } else if (o) {
    detail = `: ${errorMessage(o.error, { incidentNumber: it.incidentNumber, supportContact: ctx.supportContact })}`;
  }
  const line = `• *${n}* — ${LABEL[kind]}${detail}`;
  return line.length > LINE_MAX ? `${line.slice(0, LINE_MAX - 1)}…` : line;
}

function deliveryWords(d: SummaryDelivery | undefined): string {
  if (!d) return '';
  const where = channelMention(d.channelId);
  if (d.status === 'posted') return ` The summary listing them is posted in ${where}.`;
  if (d.status === 'handled_elsewhere') return ` Another instance of the bot is posting the summary in ${where}.`;
  const then = d.willRetry ? 'the bot will retry it' : 'post it there yourself';
  return ` The summary could not be posted in ${where} (${safeUserText(d.slackError)}); ${then}.`;
}

/** Counts per group, in the list's order, e.g. "3 closed, 1 failed". */
function counts(items: readonly BulkItem[]): string {
  const n = new Map<ItemKind, number>();
  for (const it of items) n.set(itemKind(it.outcome), (n.get(itemKind(it.outcome)) ?? 0) + 1);
  return ORDER.filter((k) => n.has(k))
    .map((k) => `${n.get(k)} ${LABEL[k]}`)
    .join(', ');
}

/**
 * "Closing 5 incidents…": a bulk close taken (its first answer). `count` is how many this request sends,
 * fewer than the list when some were already asked for by an earlier delivery (the list says which).
 */
export function bulkClosingNotice(count: number): string {
  return `Closing ${count} ${count === 1 ? 'incident' : 'incidents'}… the list below fills in as D3 answers.`;
}

/** A list's first answer (bulk-items.ts FirstAnswer): "Closing N incidents…", or its refusal as a whole. */
export function bulkFirstAnswer(a: FirstAnswer, ctx: { supportContact?: string; requestId?: string }): string {
  return 'closing' in a ? bulkClosingNotice(a.closing) : errorMessage(a.refused, ctx);
}

/** The analyst's list: one line per incident, grouped by outcome; `final` once every result is in. */
export function bulkResultList(
  items: readonly BulkItem[],
  o: { final: boolean; delivery?: SummaryDelivery; supportContact?: string },
): Reply {
  const done = items.filter((it) => it.outcome).length;
  const head = o.final
    ? `Bulk close of ${items.length} incidents finished: ${counts(items)}.${deliveryWords(o.delivery)}`
    : `Closing ${items.length} incidents… ${done} of ${items.length} answered so far (${counts(items)}).`;
  const sorted = ORDER.flatMap((k) => items.filter((it) => itemKind(it.outcome) === k));
  const lines = sorted.map((it) => itemLine(it, o));
  const sections: string[] = [];
  for (const line of lines) {
    const last = sections.length - 1;
    if (last >= 0 && (sections[last] as string).length + line.length + 1 <= TEXT_MAX) sections[last] += `\n${line}`;
    else sections.push(line);
  }
  const kept = sections.slice(0, LIST_BLOCKS_MAX);
  const blocks: slack.KnownBlock[] = [{ type: 'section', text: mrkdwn(head) }, ...kept.map((t) => section(t))];
  if (kept.length < sections.length)
    blocks.push({ type: 'context', elements: [mrkdwn('The rest of the list is cut.')] });
  return { text: `${head}\n${lines.join('\n')}`.slice(0, 39_000), blocks };
}

const section = (text: string): slack.KnownBlock => ({ type: 'section', text: mrkdwn(text) });

/** The one channel summary of a bulk close: what was closed, by whom in Slack and in D3, and the note. */
export function bulkSummary(p: PendingSummary): Reply {
  const closed = p.items ?? [p.closure];
  const closer = userMention(p.slackUserId);
  const title = `${closed.length} incidents closed`;
  const lines = closed.map((c) => {
    // D3's words are cut so one odd entry cannot push a section over Slack's 3000 (the post would be refused).
    const on = c.closeDate?.trim() ? `, ${safeUserTextWithin(c.closeDate, D3_WORDS_MAX)}` : '';
    const by = safeUserTextWithin(orDash(c.closedBy ?? p.d3Username), D3_WORDS_MAX);
    return `• *${safeUserText(c.incidentNumber)}* — closed in D3 by ${by}${on}`;
  });
  const sections: string[] = [];
  for (const line of lines) {
    const last = sections.length - 1;
    if (last >= 0 && (sections[last] as string).length + line.length + 1 <= TEXT_MAX) sections[last] += `\n${line}`;
    else sections.push(line);
  }
  const note = p.closure.note.trim();
  const site = safeUserText(orDash(p.closure.site));
  const blocks: slack.KnownBlock[] = [
    { type: 'header', text: plain(safeUserTextWithin(title, HEADER_MAX)) },
    section(`*Closed in Slack by* ${closer} · *Site* ${site}`),
    ...sections.slice(0, LIST_BLOCKS_MAX - 2).map((t) => section(t)),
    section('*Closing note*'),
    note
      ? { type: 'section', text: plain(safeUserTextWithin(note, TEXT_MAX, MORE_IN_D3)) }
      : section('_No note was given._'),
  ];
  const numbers = closed.map((c) => safeUserText(c.incidentNumber)).join(', ');
  const text = `${title} by ${closer} (site ${site}): ${numbers}. Note: ${note ? safeUserTextWithin(note, TEXT_MAX, MORE_IN_D3) : 'none'}`;
  return { text, blocks };
}

/** The modal's inline error for a list of numbers: the invalid ones first (Slack shows ~150 characters). */
export function listFieldError(list: { numbers: string[]; problems: string[] }, max: number): string | undefined {
  if (list.problems.length > 0) {
    const text = `Fix these (one number per line): ${list.problems.join(' ')}`;
    return text.length > 150 ? `${text.slice(0, 149)}…` : text;
  }
  return list.numbers.length > max ? `At most ${max} numbers at once; split the list.` : undefined;
}
