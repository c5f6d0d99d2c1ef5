import { z } from 'zod';
import { CloseError } from '../domain/errors.ts';
import type { Closure } from '../domain/types.ts';
import type { IncidentState } from './types.ts';

export type CloseCommandName = 'CloseIncident' | 'CloseIncidentInBulk';
export type ReplyHeaders = Record<string, string | string[] | undefined>;

export interface CloseReplyContext {
  incidentNumber: string;
  site: string;
  note: string;
  username: string;
  command: CloseCommandName;
}

/** A closure D3 proved in its reply (a success word), or its "already closed" answer. */
export type D3Closure = Closure;

// D3 writes status words in several spellings; a failure word wins even when `error` is empty. A success
// must be the whole word ("Successfully queued" or "Not successful" prove nothing).
const FAILURE_WORD = /(?<![a-z])(fail|failed|fails|failure|errors?|unsuccessful)(?![a-z])/i;
const SUCCESS_WORD = /^(succeed|succeeded|success|successful)[.!]?$/i;
const ALREADY_CLOSED = /already closed/i;
const MAX_MESSAGE = 500;

type Rec = Record<string, unknown>;

/** `Incident Number` ≈ `incidentNumber` ≈ `incident_number`: D3 varies key style per command. */
const norm = (key: string) => key.toLowerCase().replace(/[\s_-]+/g, '');
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const normKeys = (r: Rec): Rec => Object.fromEntries(Object.entries(r).map(([k, v]) => [norm(k), v]));

function text(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

const clip = (s: string) => {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > MAX_MESSAGE ? `${one.slice(0, MAX_MESSAGE)}…` : one;
};

const sameNumber = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

const badReply = (reason: string, status?: number) => new CloseError('d3_bad_reply', { reason, status });

/** Seconds from a Retry-After header (delta-seconds or HTTP-date); undefined when absent or unreadable. */
export function parseRetryAfter(headers: ReplyHeaders, now = Date.now()): number | undefined {
  const raw = headers['retry-after'];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * Maps a non-2xx status to its code. Non-200 bodies are `{"Error": "..."}` (capital E); the text is kept
 * in `d3Message` for the operator's log only — the analyst gets a plain sentence for these codes.
 */
export function statusError(status: number, bodyText: string, headers: ReplyHeaders, keyVar = 'D3_API_KEY') {
  const d3Message = errorText(bodyText);
  const base = { status, ...(d3Message && { d3Message }) };
  if (status === 400) return new CloseError('d3_bad_request', base);
  if (status === 401) {
    const hint = `check ${keyVar} / D3_API_KEY_HEADER and that the D3 user is granted the key`;
    return new CloseError('d3_unauthorized', { ...base, hint });
  }
  if (status === 403) return new CloseError('d3_forbidden', { ...base, hint: 'the D3 user lacks rights here' });
  if (status === 404) {
    return new CloseError('d3_bad_request', { ...base, hint: 'check D3_BASE_URL and D3_API_NAMESPACE' });
  }
  if (status === 429) {
    const retryAfterS = parseRetryAfter(headers);
    return new CloseError('d3_rate_limited', {
      ...base,
      notSent: true,
      ...(retryAfterS !== undefined && { retryAfterS }),
    });
  }
  if (status === 503) return new CloseError('d3_unavailable', { ...base, notSent: true });
  // 500 ("Unexpected Error."), 502, 504…: D3 or a proxy may have acted before failing.
  if (status >= 500) return new CloseError('d3_outcome_unknown', base);
  if (status >= 300 && status < 400) {
    return new CloseError('d3_bad_reply', { ...base, hint: 'D3 redirected (login page?); check D3_BASE_URL' });
  }
  return new CloseError('d3_bad_request', base);
}

function errorText(bodyText: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (isRec(parsed)) {
      const n = normKeys(parsed);
      const t = text(n.error) ?? text(n.message);
      if (t) return clip(t);
    }
  } catch {
    // not JSON: fall back to the raw text below
  }
  return text(bodyText) && clip(bodyText);
}

const JsonLike = z.union([z.string(), z.array(z.unknown()), z.record(z.string(), z.unknown())]).nullish();
const Envelope = z.object({ error: z.string().nullish(), returndata: JsonLike, contextdata: JsonLike });
type Envelope = z.infer<typeof Envelope> & { contextBroken?: boolean };

/** Reads the 200 envelope `{error, returnData, contextData}`; throws d3_bad_reply when it is not one. */
function readEnvelope(status: number, bodyText: string): Envelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    const salvaged = salvage(bodyText);
    if (!salvaged) throw badReply('reply is not JSON and has no error/returnData', status);
    return salvaged;
  }
  if (!isRec(parsed)) throw badReply('reply is not a JSON object', status);
  const n = normKeys(parsed);
  if (!('error' in n) && !('returndata' in n)) throw badReply('reply has neither error nor returnData', status);
  const env = Envelope.safeParse(n);
  if (!env.success) throw badReply(`unexpected envelope: ${env.error.issues[0]?.path.join('.')}`, status);
  return env.data;
}

/**
 * D3's CloseIncident sample prints contextData as a string without escaping its inner quotes, so the
 * body is not JSON. Cut the inner object out (first `{` after the opening quote to the last `}"`),
 * parse it on its own, and read error/returnData from what is left. Both must be found, as complete
 * string members, or the body is treated as unreadable (HTML page, truncated reply).
 */
function salvage(bodyText: string): Envelope | undefined {
  const body = bodyText.trim();
  if (!body.startsWith('{') || !body.endsWith('}')) return undefined;
  let rest = body;
  let contextdata: unknown;
  let contextBroken = false;
  const ctx = /"contextData"\s*:\s*"/i.exec(body);
  if (ctx) {
    const open = body.indexOf('{', ctx.index + ctx[0].length);
    const close = body.lastIndexOf('}"');
    contextBroken = true;
    rest = body.slice(0, ctx.index);
    if (open !== -1 && close > open) {
      rest += body.slice(close + 2);
      try {
        contextdata = JSON.parse(body.slice(open, close + 1));
        contextBroken = false;
      } catch {
        // the closure still counts on error/returnData; the summary says fields are missing
      }
    }
  }
  const error = stringMember(rest, 'error');
  const returndata = stringMember(rest, 'returnData');
  if (error === undefined || returndata === undefined) return undefined;
  const env = Envelope.safeParse({ error, returndata, contextdata });
  return env.success ? { ...env.data, contextBroken } : { error, returndata, contextBroken: true };
}

function stringMember(body: string, key: string): string | null | undefined {
  const m = new RegExp(`(?:^|[{,])\\s*"${key}"\\s*:\\s*("(?:[^"\\\\\\n]|\\\\.)*"|null)\\s*(?=[,}])`, 'i').exec(body);
  if (!m?.[1]) return undefined;
  try {
    return JSON.parse(m[1]) as string | null;
  } catch {
    return undefined;
  }
}

/** contextData/returnData may be an object, an array, a JSON-encoded string or absent: always records. */
function records(value: unknown): { recs: Rec[]; broken: boolean } {
  if (value === undefined || value === null) return { recs: [], broken: false };
  if (typeof value === 'string') {
    const t = value.trim();
    if (t === '') return { recs: [], broken: false };
    if (!t.startsWith('{') && !t.startsWith('[')) return { recs: [], broken: true };
    try {
      return records(JSON.parse(t));
    } catch {
      return { recs: [], broken: true };
    }
  }
  if (Array.isArray(value)) return { recs: value.filter(isRec).map(normKeys), broken: false };
  return isRec(value) ? { recs: [normKeys(value)], broken: false } : { recs: [], broken: true };
}

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

// "Closed", "Resolved", "Closed - False Positive"; not "Unresolved" or "Not closed".
const isClosedStatus = (s: string) => /(?<![a-z])(closed|resolved)(?![a-z])/i.test(s) && !/\bnot\b/i.test(s);

const StateData = z.object({
  casenumber: z.union([z.string(), z.number()]).optional(),
  status: z.string(),
  closedby: z.string().nullish(),
  dateclosed: z.string().nullish(),
  site: z.string().nullish(),
});

/** Parses a getIncidentStaticField reply: `returnData: { Status, Data: { CaseNumber, Status, ClosedBy… } }`. */
export function parseStateReply(
  status: number,
  bodyText: string,
  incidentNumber: string,
  headers: ReplyHeaders = {},
): IncidentState {
  if (status < 200 || status > 299) throw statusError(status, bodyText, headers, 'D3_STATE_API_KEY');
  const env = readEnvelope(status, bodyText);
  const error = env.error?.trim() ?? '';
  if (error !== '') throw new CloseError('d3_rejected', { d3Message: clip(error), status });
  const rd = records(env.returndata).recs[0];
  const word = rd && text(rd.status);
  if (word && FAILURE_WORD.test(word)) throw new CloseError('d3_rejected', { d3Message: clip(word), status });
  const dataRec = rd && records(rd.data).recs[0];
  const data = StateData.safeParse(dataRec);
  if (!data.success) throw badReply('state reply has no Data.Status', status);
  const d = data.data;
  if (d.casenumber !== undefined && !sameNumber(String(d.casenumber), incidentNumber)) {
    throw badReply(`D3 reported incident ${d.casenumber}, not ${incidentNumber}`, status);
  }
  const state: IncidentState = { incidentNumber, status: d.status, closed: isClosedStatus(d.status) };
  if (text(d.closedby)) state.closedBy = text(d.closedby);
  if (text(d.dateclosed)) state.dateClosed = text(d.dateclosed);
  if (text(d.site)) state.site = text(d.site);
  return state;
}
