/**
 * CloseIncidentInBulk with several numbers: the request body and the per-incident reading of its reply.
 * Only an incident's own contextData entry proves anything about it; D3's top-level "Successful" is
 * about the call, not about each incident.
 */
import { CloseError } from '../domain/errors.ts';
import type { CloseCommand } from '../domain/ports.ts';
import type { Closure } from '../domain/types.ts';
import {
  clip,
  FAILURE_WORD,
  type Rec,
  type ReplyHeaders,
  readEnvelope,
  records,
  sameNumber,
  text,
} from './envelope.ts';
import { ALREADY_CLOSED, SUCCESS_WORD } from './reply.ts';
import { statusError } from './status.ts';

/** What D3's reply says about one incident: its closure, or the error the gateway then judges. */
export type ItemAnswer = { closure: Closure } | { error: CloseError };

/** One body for many numbers; every command of a chunk shares its user, site and note (one request). */
export function bulkCloseBody(cmds: readonly CloseCommand[]): object {
  const first = cmds[0];
  if (!first) throw new CloseError('internal', { reason: 'empty chunk' });
  const { username: Username, site: Site, note } = first;
  return {
    Username,
    Site,
    CommandParams: {
      'Incident Numbers': cmds.map((c) => c.incidentNumber),
      Conclusion: note,
      // As in closeBody: pending required tasks must stop the close (D3's sample sends "Yes"/"No").
      'Bypass Required Pending Tasks': 'No',
      Username,
    },
  };
}

// GUESS: D3 documents only the success entry { Incident Number, Status, Close Date, Result, Closed By }.
// A failed entry is read from Result/Status and, when present, a Message, Error or Reason field.
const wordsOf = (r: Rec) => [r.result, r.status, r.message, r.error, r.reason].map(text).filter((w) => w !== undefined);
const reasonOf = (r: Rec) => text(r.message) ?? text(r.error) ?? text(r.reason) ?? text(r.result) ?? text(r.status);

/** Unproven: D3 answered, so the gateway reads this incident's state and does not resend blindly. */
const unproven = (status: number, reason: string, said?: string) =>
  new CloseError('d3_outcome_unknown', { d3Answered: true, status, reason, ...(said && { d3Message: clip(said) }) });

function answerFor(cmd: CloseCommand, own: Rec[], status: number, said: string | undefined): ItemAnswer {
  const n = cmd.incidentNumber;
  if (own.length === 0) return { error: unproven(status, `D3's reply has no entry for ${n}`, said) };
  if (own.length > 1) return { error: unproven(status, `D3's reply has ${own.length} entries for ${n}`, said) };
  const rec = own[0] as Rec;
  const words = wordsOf(rec);
  const closure: Closure = { incidentNumber: n, site: cmd.site, note: cmd.note };
  const closedBy = text(rec.closedby);
  const closeDate = text(rec.closedate) ?? text(rec.dateclosed);
  if (closedBy) closure.closedBy = closedBy;
  if (closeDate) closure.closeDate = closeDate;
  if (words.some((w) => ALREADY_CLOSED.test(w))) return { closure: { ...closure, alreadyClosed: true } };
  const failed = words.find((w) => FAILURE_WORD.test(w)) ?? text(rec.error);
  if (failed !== undefined) {
    return { error: new CloseError('d3_rejected', { d3Message: clip(reasonOf(rec) ?? failed), status }) };
  }
  const result = text(rec.result);
  if (result === undefined || !SUCCESS_WORD.test(result)) {
    return { error: unproven(status, `D3's entry for ${n} has no success word`, result) };
  }
  const closeType = text(rec.status);
  if (closeType) closure.closeType = closeType;
  if (!closedBy || !closeDate) closure.partial = true;
  return { closure };
}

/**
 * Reads a CloseIncidentInBulk reply for several incidents. Throws for the whole call where the call
 * itself failed (non-2xx, an unreadable 200: the gateway retries or reads each state); otherwise one
 * answer per incident from its own entry. A non-empty `error` refuses no incident by itself (D3 may
 * have closed the others), but its words are passed on with each incident that has no entry.
 */
export function parseBulkCloseReply(
  status: number,
  bodyText: string,
  cmds: readonly CloseCommand[],
  headers: ReplyHeaders = {},
): Map<string, ItemAnswer> {
  if (status < 200 || status > 299) throw statusError(status, bodyText, headers);
  const env = readEnvelope(status, bodyText);
  const recs = records(env.contextdata).recs;
  const error = env.error?.trim() || undefined;
  const rd = typeof env.returndata === 'string' ? env.returndata.trim() : undefined;
  const said = error ?? (rd && !SUCCESS_WORD.test(rd) && !rd.startsWith('{') && !rd.startsWith('[') ? rd : undefined);
  const out = new Map<string, ItemAnswer>();
  for (const cmd of cmds) {
    const own = recs.filter((r) => {
      const n = text(r.incidentnumber);
      return n !== undefined && sameNumber(n, cmd.incidentNumber);
    });
    out.set(cmd.incidentNumber, answerFor(cmd, own, status, said));
  }
  return out;
}
