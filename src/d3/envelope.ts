/**
 * D3's reply envelope `{error, returnData, contextData}`, read the same way for every command (key
 * style varies per command; contextData may be an object, an array, a JSON string, or D3's unescaped
 * string), and the small readers every command's parser shares.
 */
import { z } from 'zod';
import { CloseError } from '../domain/errors.ts';

export type ReplyHeaders = Record<string, string | string[] | undefined>;

// D3 writes status words in several spellings; a failure word wins even when `error` is empty.
export const FAILURE_WORD = /(?<![a-z])(fail|failed|fails|failure|errors?|unsuccessful)(?![a-z])/i;
const MAX_MESSAGE = 500;

export type Rec = Record<string, unknown>;

/** `Incident Number` ≈ `incidentNumber` ≈ `incident_number`: D3 varies key style per command. */
const norm = (key: string) => key.toLowerCase().replace(/[\s_-]+/g, '');
export const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
export const normKeys = (r: Rec): Rec => Object.fromEntries(Object.entries(r).map(([k, v]) => [norm(k), v]));

export function text(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** One line of D3's words, at most 500 characters. */
export const clip = (s: string) => {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > MAX_MESSAGE ? `${one.slice(0, MAX_MESSAGE)}…` : one;
};

export const sameNumber = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

export const badReply = (reason: string, status?: number) => new CloseError('d3_bad_reply', { reason, status });

const JsonLike = z.union([z.string(), z.array(z.unknown()), z.record(z.string(), z.unknown())]).nullish();
const Envelope = z.object({ error: z.string().nullish(), returndata: JsonLike, contextdata: JsonLike });
type Envelope = z.infer<typeof Envelope> & { contextBroken?: boolean };

/** Reads the 200 envelope `{error, returnData, contextData}`; throws d3_bad_reply when it is not one. */
export function readEnvelope(status: number, bodyText: string): Envelope {
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
export function records(value: unknown): { recs: Rec[]; broken: boolean } {
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
