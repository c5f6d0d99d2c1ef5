import { createHmac } from 'node:crypto';

/** The two headers Slack adds to every HTTP request it sends (slack-platform.md §7). */
export interface SlackSignatureHeaders {
  'x-slack-signature': string;
  'x-slack-request-timestamp': string;
}

/**
 * Signs `rawBody` exactly as Slack does: `v0=` + hex HMAC-SHA256(secret, `v0:<ts>:<raw body>`).
 * `timestampS` (Unix seconds) is the injectable clock; stale or future timestamps test Bolt's 5-minute window.
 */
export function signSlackRequest(
  rawBody: string,
  signingSecret: string,
  opts: { timestampS?: number } = {},
): SlackSignatureHeaders {
  const ts = opts.timestampS ?? Math.floor(Date.now() / 1000);
  const hex = createHmac('sha256', signingSecret).update(`v0:${ts}:${rawBody}`).digest('hex');
  return { 'x-slack-signature': `v0=${hex}`, 'x-slack-request-timestamp': String(ts) };
}

export interface PostSignedOptions {
  secret: string;
  /** Defaults to form-urlencoded: slash commands and interactivity payloads both arrive that way. */
  contentType?: string;
  timestampS?: number;
  /** Extra headers, applied after the signature headers (so they can also override them). */
  headers?: Record<string, string>;
  /** Replaces the computed `x-slack-signature`, for tampered-request tests. */
  signature?: string;
}

export interface SignedResponse {
  status: number;
  text: string;
  /** The body parsed as JSON, when it is JSON. */
  json?: unknown;
  headers: Record<string, string>;
  /** Milliseconds from sending until the response headers arrived (what Slack's 3 s ack clock measures). */
  ms: number;
}

/** POSTs a signed body to the app, as Slack would, over real HTTP. */
export async function postSigned(url: string, rawBody: string, opts: PostSignedOptions): Promise<SignedResponse> {
  const signed = signSlackRequest(rawBody, opts.secret, { timestampS: opts.timestampS });
  const headers: Record<string, string> = {
    'content-type': opts.contentType ?? 'application/x-www-form-urlencoded',
    ...signed,
    ...(opts.signature === undefined ? {} : { 'x-slack-signature': opts.signature }),
    ...opts.headers,
  };
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers, body: rawBody });
  const ms = performance.now() - started;
  const text = await res.text();
  return { status: res.status, text, json: parseJson(text), headers: Object.fromEntries(res.headers), ms };
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
