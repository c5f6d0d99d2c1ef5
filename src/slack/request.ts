import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { Secret } from '../config.ts';
import { SLACK_CHANNEL_ID_STRICT, SLACK_USER_ID_STRICT } from '../domain/limits.ts';

/**
 * Reading, verifying and parsing one Slack request, strictly: whatever is not exactly what Slack
 * sends becomes an HttpError with a 4xx status, before Bolt or a listener sees it.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const maxSkewS = 5 * 60;

export const stringHeader = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/**
 * The signature headers, checked before a byte of the body is read: a request without them, with a
 * malformed signature or with a timestamp outside Slack's 5-minute window can never verify, so its
 * body is not worth reading or keeping.
 */
export function signatureHeaders(req: IncomingMessage): { ts: string; sig: string } {
  const ts = stringHeader(req.headers['x-slack-request-timestamp']);
  const sig = stringHeader(req.headers['x-slack-signature']);
  if (!ts || !sig || !/^\d{1,12}$/.test(ts) || !/^v0=[0-9a-f]{64}$/.test(sig))
    throw new HttpError(401, 'missing or malformed signature headers');
  if (Math.abs(Date.now() / 1000 - Number(ts)) > maxSkewS) throw new HttpError(401, 'stale request timestamp');
  return { ts, sig };
}

export function verifySignature(req: IncomingMessage, raw: Buffer, secret: Secret): void {
  const { ts, sig } = signatureHeaders(req);
  const hmac = createHmac('sha256', secret.reveal()).update(`v0:${ts}:`).update(raw).digest('hex');
  const expected = Buffer.from(`v0=${hmac}`);
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new HttpError(401, 'bad signature');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseBody(contentType: string | undefined, raw: Buffer): Record<string, unknown> {
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new HttpError(400, 'body is not UTF-8');
  }
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') {
    const body = asObject(parseJson(text));
    // Slack sends JSON for the Events API only; commands and interactivity always come as forms.
    if (body.type !== 'url_verification' && body.type !== 'event_callback')
      throw new HttpError(400, 'commands and interactivity are sent as forms, not JSON');
    return body;
  }
  if (type !== 'application/x-www-form-urlencoded') throw new HttpError(415, 'unsupported content type');
  const form = parseForm(text);
  if (typeof form.payload === 'string') return asObject(parseJson(form.payload));
  return form;
}

/**
 * x-www-form-urlencoded, strictly. URLSearchParams would turn a broken escape into literal text and
 * bytes that are not UTF-8 into U+FFFD, and the note would reach D3 altered; Slack sends neither.
 */
function parseForm(text: string): Record<string, string> {
  const form: Record<string, string> = {};
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const [key, value] = eq === -1 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
    try {
      form[decodeForm(key)] = decodeForm(value);
    } catch {
      throw new HttpError(400, 'form body is not valid percent-encoded UTF-8');
    }
  }
  return form;
}

const decodeForm = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));

const present = z.string().min(1);
// Slack's id shapes, which the bot relies on after this point (user map keys, modal metadata, mentions).
const userId = z.string().regex(SLACK_USER_ID_STRICT);
const channelId = z.string().regex(SLACK_CHANNEL_ID_STRICT);
// respond() and the error handler POST to it; one that does not parse could never be answered.
const responseUrl = z.url({ protocol: /^https?$/ });
/**
 * The two kinds of body the app serves (listeners/index.ts), with what Bolt and the listeners read
 * from them unchecked; a body without it is not from Slack, and would otherwise fail inside Bolt as
 * a TypeError. Register a new surface in listeners/index.ts? Add its kind and shape here too.
 */
export const served = {
  command: z.looseObject({
    command: present,
    team_id: z.string(),
    channel_id: channelId,
    user_id: userId,
    trigger_id: present,
    response_url: responseUrl,
    text: z.string().optional(),
  }),
  view: z.looseObject({
    type: z.enum(['view_submission', 'view_closed']),
    user: z.looseObject({ id: userId }),
    team: z.looseObject({ id: z.string() }).nullish(),
    view: z.looseObject({ id: present, callback_id: z.string() }),
    response_urls: z.array(z.looseObject({ response_url: responseUrl })).optional(),
  }),
  /** The "Close incident" message shortcut (message_action). */
  shortcut: z.looseObject({
    type: z.literal('message_action'),
    callback_id: present,
    trigger_id: present,
    response_url: responseUrl,
    user: z.looseObject({ id: userId }),
    team: z.looseObject({ id: z.string() }).nullish(),
    channel: z.looseObject({ id: channelId }),
    message: z.looseObject({ ts: present, thread_ts: z.string().optional() }),
  }),
  // Buttons and dispatched inputs: App Home's button, the modal's preview, the confirmation card.
  action: z.looseObject({
    type: z.literal('block_actions'),
    trigger_id: z.string().optional(),
    user: z.looseObject({ id: userId }),
    team: z.looseObject({ id: z.string() }).nullish(),
    actions: z.array(z.looseObject({ action_id: present })).min(1),
    view: z.looseObject({ id: present }).optional(),
    response_url: responseUrl.optional(),
  }),
  /** Events API deliveries (app_home_opened). */
  event: z.looseObject({
    type: z.literal('event_callback'),
    event_id: present,
    event: z.looseObject({ type: present, user: userId.optional() }),
  }),
};

export type ServedKind = keyof typeof served;

/** Which served kind Bolt will route `b` as, in the order of Bolt's getTypeAndConversation. */
export function servedKind(b: Record<string, unknown>): ServedKind | undefined {
  if (b.event !== undefined) return b.type === 'event_callback' ? 'event' : undefined;
  if (b.command !== undefined) return 'command';
  if (b.name !== undefined) return undefined;
  if (b.actions !== undefined) return b.type === 'block_actions' ? 'action' : undefined;
  if (b.type === 'message_action') return 'shortcut';
  if (b.type === 'view_submission' || b.type === 'view_closed') return 'view';
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'payload is not JSON');
  }
}

function asObject(v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new HttpError(400, 'payload is not an object');
  return v as Record<string, unknown>;
}
