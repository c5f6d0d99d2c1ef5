/** `history <number>`: the close attempts on record, as the analyst reads them. */
import { assertNever } from '../../domain/errors.ts';
import type { AuditOutcome, AuditRecord } from '../../domain/types.ts';
import { slackDateOfIso } from './dates.ts';
import { safeUserText, userMention } from './escape.ts';
import type { Reply } from './kit.ts';

const HISTORY_MAX = 20;

export function outcomeWord(o: AuditOutcome): string {
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
    case 'handed_over':
      return 'handed over at a restart';
    default:
      return assertNever(o);
  }
}

/** In each reader's time zone (Slack's date token), the UTC text as the fallback. */
const formatTime = slackDateOfIso;

function historyLine(r: AuditRecord): string {
  const who = r.d3Username ? `as ${safeUserText(r.d3Username)}` : 'no D3 user';
  const code = r.code ? ` (${safeUserText(r.code)})` : '';
  const latency =
    r.d3LatencyMs !== undefined
      ? `D3 ${(r.d3LatencyMs / 1000).toFixed(1)} s`
      : r.outcome === 'handed_over'
        ? 'kept for another instance or the restart'
        : 'D3 not called';
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
