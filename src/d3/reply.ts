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
import { isClosedStatus } from './state-reply.ts';
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
  const mine = (r: Rec) => {
    const n = text(r.incidentnumber);
    return n === undefined || sameNumber(n, ctx.incidentNumber);
  };
  const own = ctxData.recs.filter(mine);
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
    // With one number per call, this incident's own entry is the call's result: a call-level
    // "Successful" cannot overrule an entry saying "Pending required tasks", "Skipped" or "Open".
    const items = [...rdRecs.filter(mine), ...own];
    const denied = items.map(itemDenial).find((w) => w !== undefined);
    if (denied !== undefined)
      throw unproven(status, `D3's entry for ${ctx.incidentNumber} says ${clip(denied)}`, denied);
    const proof = [rd, ...items.map(resultWord)];
    if (!proof.some((w) => w !== undefined && SUCCESS_WORD.test(w))) {
      const said = rd && !rd.startsWith('{') && !rd.startsWith('[') ? rd : undefined;
      throw unproven(status, `no success word in returnData (${clip(rd ?? shown(env.returndata))})`, said);
    }
  }

  const closure: D3Closure = { incidentNumber: ctx.incidentNumber, site: ctx.site, note: ctx.note };
  const closedBy = rec && text(rec.closedby);
  const closeType = rec && (text(rec.closetype) ?? text(rec.status));
  const closeDate = rec && (text(rec.closedate) ?? text(rec.dateclosed));
  if (closedBy) closure.closedBy = closedBy;
  if (closeType) closure.closeType = closeType;
  if (closeDate) closure.closeDate = closeDate;
  if (alreadyClosed) Object.assign(closure, { alreadyClosed: true, d3Said: clip(error) });
  if (!rec || env.contextBroken || ctxData.broken) closure.partial = true;
  return closure;
}

/** An incident entry's Result that is no success word, or a Status that is neither success nor closed. */
function itemDenial(r: Rec): string | undefined {
  const result = text(r.result);
  if (result !== undefined) return SUCCESS_WORD.test(result) ? undefined : result;
  const status = text(r.status);
  return status === undefined || SUCCESS_WORD.test(status) || isClosedStatus(status) ? undefined : status;
}

/** returnData as the log shows it; D3's JSON may be any shape (an object whose toString is not a function). */
function shown(v: unknown): string {
  try {
    return JSON.stringify(v) ?? typeof v;
  } catch {
    return typeof v;
  }
}
