import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import { z } from 'zod';
import type { Secret } from '../config.ts';
import type { Log } from '../log.ts';

export type Route = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HttpServerOptions {
  port: number;
  host: string;
  log: Log;
  /** GET routes: /healthz, /readyz, /metrics. */
  routes: Record<string, Route>;
  /** Verifies and dispatches Slack requests at POST /slack/events; absent in Socket Mode. */
  slack?: { signingSecret: Secret; maxBodyBytes?: number; onAck?: (ms: number) => void };
}

const maxSkewS = 5 * 60;
const ackTimeoutMs = 3_000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One node:http server for Slack's requests and the operator's probes. We own the request path
 * instead of Bolt's HTTPReceiver so that every malformed or hostile request gets a 4xx (never a
 * 500), bodies are capped, and in-flight closures can be awaited on shutdown.
 */
export class SlackHttpReceiver implements Receiver {
  #app: App | undefined;
  #server: Server | undefined;
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(private readonly o: HttpServerOptions) {}

  init(app: App): void {
    this.#app = app;
  }

  async start(): Promise<Server> {
    const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
      this.#handle(req, res).catch((e) => {
        this.o.log.error({ err: e }, 'request handling failed');
        if (!res.headersSent) send(res, 400, 'bad request');
      });
    });
    // No 'clientError' listener on purpose: Node's own answers a framing error (bad or duplicate
    // Content-Length, Content-Length with chunked, malformed request line) with 400, oversized headers
    // with 431, and a slow client with 408, then closes the socket. A bare destroy() left clients guessing.
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => resolve());
    });
    this.#server = server;
    return server;
  }

  get port(): number {
    return (this.#server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Stops taking requests, then waits (up to timeoutMs) for closures already under way. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const server = this.#server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const drained = Promise.allSettled([...this.#inFlight]);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([drained, expired]);
    clearTimeout(timer);
    server.closeAllConnections();
    await closed;
    this.#server = undefined;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && this.o.routes[path]) return void (await this.o.routes[path](req, res));
    if (path !== '/slack/events' || !this.o.slack) return send(res, 404, 'not found');
    if (req.method !== 'POST') return send(res, 405, 'method not allowed');
    try {
      const raw = await readBody(req, this.o.slack.maxBodyBytes ?? 1024 * 1024);
      verifySignature(req, raw, this.o.slack.signingSecret);
      const body = parseBody(req.headers['content-type'], raw);
      if (body.ssl_check === '1') return send(res, 200, '');
      if (body.type === 'url_verification' && typeof body.challenge === 'string')
        return sendJson(res, { challenge: body.challenge });
      const kind = servedKind(body);
      // Events, actions, shortcuts, options and anything unknown: nothing here listens for them.
      if (!kind) return send(res, 404, 'unsupported request');
      if (!served[kind].safeParse(body).success) throw new HttpError(400, 'malformed Slack payload');
      await this.#dispatch(req, res, body);
    } catch (e) {
      if (e instanceof HttpError) {
        this.o.log.warn({ status: e.status, reason: e.message }, 'Slack request refused');
        // A body left unread would be taken for the next request on a kept-alive connection.
        if (!req.complete) res.setHeader('connection', 'close');
        if (!res.headersSent) send(res, e.status, e.message);
        return;
      }
      throw e;
    }
  }

  async #dispatch(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>): Promise<void> {
    const app = this.#app;
    if (!app) throw new HttpError(503, 'not ready');
    const started = performance.now();
    let acked = false;
    const timer = setTimeout(() => {
      // Nothing acknowledged in Slack's window: answer anyway so Slack shows the user something.
      if (!acked && !res.headersSent) {
        acked = true;
        this.o.log.warn('request not acknowledged within 3 seconds');
        send(res, 200, '');
      }
    }, ackTimeoutMs);
    const event: ReceiverEvent = {
      body,
      retryNum: numberHeader(req.headers['x-slack-retry-num']),
      retryReason: stringHeader(req.headers['x-slack-retry-reason']),
      ack: async (response?: unknown) => {
        if (acked) return;
        acked = true;
        clearTimeout(timer);
        if (response === undefined || response === '') send(res, 200, '');
        else if (typeof response === 'string') send(res, 200, response);
        else sendJson(res, response);
        this.o.slack?.onAck?.(performance.now() - started);
      },
    };
    const work = app.processEvent(event).finally(() => clearTimeout(timer));
    this.#inFlight.add(work);
    try {
      await work;
    } catch (e) {
      this.o.log.error({ err: e }, 'listener failed');
      if (!acked && !res.headersSent) {
        acked = true;
        send(res, 200, 'Something went wrong on our side; nothing was closed. Please try again.');
      }
    } finally {
      this.#inFlight.delete(work);
    }
    if (!acked && !res.headersSent) {
      // No listener matched (an unknown command or payload type): a polite 404, never a hang.
      clearTimeout(timer);
      send(res, 404, 'unsupported request');
    }
  }
}

/**
 * The raw body, at most `limit` bytes. Over the limit the rest is left unread (never destroyed
 * mid-request, so the 413 still reaches the client) and #handle closes the connection after answering.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.reject(new HttpError(413, 'body too large'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData).pause();
      reject(new HttpError(413, 'body too large'));
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    // The client went away mid-body ('aborted'): nobody is left to answer, but it is their doing, not ours.
    req.on('error', () => reject(new HttpError(400, 'request body incomplete')));
  });
}

function verifySignature(req: IncomingMessage, raw: Buffer, secret: Secret): void {
  const ts = stringHeader(req.headers['x-slack-request-timestamp']);
  const sig = stringHeader(req.headers['x-slack-signature']);
  if (!ts || !sig || !/^\d{1,12}$/.test(ts)) throw new HttpError(401, 'missing or malformed signature headers');
  if (Math.abs(Date.now() / 1000 - Number(ts)) > maxSkewS) throw new HttpError(401, 'stale request timestamp');
  const hmac = createHmac('sha256', secret.reveal()).update(`v0:${ts}:`).update(raw).digest('hex');
  const expected = Buffer.from(`v0=${hmac}`);
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new HttpError(401, 'bad signature');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseBody(contentType: string | undefined, raw: Buffer): Record<string, unknown> {
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
const userId = z.string().regex(/^[UW][A-Z0-9]{2,}$/);
const channelId = z.string().regex(/^[CGD][A-Z0-9]{2,}$/);
// respond() and the error handler POST to it; one that does not parse could never be answered.
const responseUrl = z.url({ protocol: /^https?$/ });
/**
 * The two kinds of body the app serves (listeners/index.ts), with what Bolt and the listeners read
 * from them unchecked; a body without it is not from Slack, and would otherwise fail inside Bolt as
 * a TypeError. Register a new surface in listeners/index.ts? Add its kind and shape here too.
 */
const served = {
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
};

/** Which served kind Bolt will route `b` as, in the order of Bolt's getTypeAndConversation. */
function servedKind(b: Record<string, unknown>): keyof typeof served | undefined {
  if (b.event !== undefined) return undefined;
  if (b.command !== undefined) return 'command';
  if (b.name !== undefined || b.actions !== undefined) return undefined;
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

const stringHeader = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
const numberHeader = (v: string | string[] | undefined) => {
  const n = Number(stringHeader(v));
  return Number.isInteger(n) ? n : undefined;
};

export function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
}

export function sendJson(res: ServerResponse, body: unknown, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}
