/** The reply to a close (CloseIncident / CloseIncidentInBulk): what proves a closure, and what does not. */
import { CloseError } from '../domain/errors.ts';
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
import { statusError } from './status.ts';

export type CloseCommandName = 'CloseIncident' | 'CloseIncidentInBulk';

export interface CloseReplyContext {
  incidentNumber: string;
  site: string;
  note: string;
  username: string;
  command: CloseCommandName;
}

/** A closure D3 proved in its reply (a success word), or its "already closed" answer. */
export type D3Closure = Closure;

// A success must be the whole word ("Successfully queued" or "Not successful" prove nothing).
export const SUCCESS_WORD = /^(succeed|succeeded|success|successful)[.!]?$/i;
export const ALREADY_CLOSED = /already closed/i;

const resultWord = (r: Rec) => text(r.result) ?? text(r.status);

/**
 * A 200 that does not prove the closure: D3 answered, so its words go to the analyst, and the gateway
 * reads the incident's state before saying anything more (it does not send the close again).
 */
const unproven = (status: number, reason: string, words?: string) =>
  new CloseError('d3_outcome_unknown', { d3Answered: true, status, reason, ...(words && { d3Message: clip(words) }) });

/**
 * Parses a CloseIncident / CloseIncidentInBulk reply. Resolves only with proof: an empty `error` and a
 * success word in returnData or in this incident's own record (`Result`), or D3's "already closed".
 * A failure word or a non-empty `error` is a refusal (d3_rejected); anything else ("Incident not found",
 * "Queued", null, a record about another incident) is unproven (d3_outcome_unknown, d3Answered).
 */
export function parseCloseReply(
  status: number,
  bodyText: string,
  ctx: CloseReplyContext,
  headers: ReplyHeaders = {},
): D3Closure {
  if (status < 200 || status > 299) throw statusError(status, bodyText, headers);
  const env = readEnvelope(status, bodyText);
  const ctxData = records(env.contextdata);
  const own = ctxData.recs.filter((r) => {
    const n = text(r.incidentnumber);
    return n === undefined || sameNumber(n, ctx.incidentNumber);
  });
  const rec = own[0];
  const error = env.error?.trim() ?? '';
  const alreadyClosed = error !== '' && ALREADY_CLOSED.test(error);
  if (error !== '' && !alreadyClosed) throw new CloseError('d3_rejected', { d3Message: clip(error), status });

  const rd = typeof env.returndata === 'string' ? env.returndata.trim() : undefined;
  const rdRecs = rd === undefined || rd.startsWith('{') || rd.startsWith('[') ? records(env.returndata).recs : [];
  if (!alreadyClosed) {
    const words = [rd, ...rdRecs.map(resultWord), ...ctxData.recs.map(resultWord)];
    const failed = words.find((w) => w !== undefined && FAILURE_WORD.test(w));
    if (failed !== undefined) throw new CloseError('d3_rejected', { d3Message: clip(failed), status });
    if (ctxData.recs.length > 0 && own.length === 0) {
      const theirs = ctxData.recs.map((r) => text(r.incidentnumber)).join(', ');
      throw unproven(status, `D3 reported incident ${theirs}, not ${ctx.incidentNumber}`);
    }
    const proof = [rd, ...rdRecs.map(resultWord), ...own.map((r) => text(r.result))];
    if (!proof.some((w) => w !== undefined && SUCCESS_WORD.test(w))) {
      const said = rd && !rd.startsWith('{') && !rd.startsWith('[') ? rd : undefined;
      throw unproven(status, `no success word in returnData (${clip(rd ?? String(env.returndata))})`, said);
    }
  }

  const closure: D3Closure = { incidentNumber: ctx.incidentNumber, site: ctx.site, note: ctx.note };
  const closedBy = rec && text(rec.closedby);
  const closeType = rec && (text(rec.closetype) ?? text(rec.status));
  const closeDate = rec && (text(rec.closedate) ?? text(rec.dateclosed));
  if (closedBy) closure.closedBy = closedBy;
  if (closeType) closure.closeType = closeType;
  if (closeDate) closure.closeDate = closeDate;
  if (alreadyClosed) closure.alreadyClosed = true;
  if (!rec || env.contextBroken || ctxData.broken) closure.partial = true;
  return closure;
}
