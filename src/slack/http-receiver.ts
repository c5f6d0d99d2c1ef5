import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App, Receiver } from '@slack/bolt';
import type { Secret } from '../config.ts';
import type { Log } from '../log.ts';
import { type Ack, answer, dispatch } from './dispatch.ts';
import { refuse, send, sendAck, sendJson } from './http-send.ts';
import { PendingBytes, readBody } from './read-body.ts';
import { createRefusalLog } from './refusal-log.ts';
import {
  HttpError,
  parseBody,
  type ServedKind,
  served,
  servedKind,
  signatureHeaders,
  verifySignature,
} from './request.ts';

export type Route = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/**
 * A request answered before Bolt: `answer` is sent at once; `run` acknowledges when it is ready (inside
 * Slack's 3 s, as a listener would) and resolves once it has.
 */
export type EarlyAnswer = { answer: unknown } | { run: (ack: Ack) => Promise<void> };

export interface HttpServerOptions {
  port: number;
  host: string;
  log: Log;
  /** GET routes: /healthz, /readyz, /metrics. */
  routes: Record<string, Route>;
  /** Verifies and dispatches Slack requests at POST /slack/events; absent in Socket Mode. */
  slack?: {
    signingSecret: Secret;
    /** One request's body (413 beyond); 1 MB. */
    maxBodyBytes?: number;
    /** Time a body may take to arrive (408 beyond); 5 s. */
    bodyDeadlineMs?: number;
    /** Bytes of unverified bodies held at once, all connections together (503 beyond); 8 MiB. */
    maxPendingBodyBytes?: number;
    onAck?: (ms: number) => void;
    /**
     * An answer decided before Bolt sees a verified request (a plain close typed in the command, or its
     * refusal while D3's queue is full: listeners/close-command.ts earlyCloseAnswer); undefined hands
     * the request to Bolt.
     */
    earlyAnswer?: (kind: ServedKind, body: Record<string, unknown>) => EarlyAnswer | undefined;
  };
}

const MiB = 1024 * 1024;

/**
 * One node:http server for Slack's requests and the operator's probes. We own the request path
 * instead of Bolt's HTTPReceiver so that every malformed or hostile request gets a 4xx (never a
 * 500), bodies are capped, and in-flight closures can be awaited on shutdown.
 */
export class SlackHttpReceiver implements Receiver {
  #app: App | undefined;
  #server: Server | undefined;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #pending: PendingBytes;
  readonly #logRefusal: (status: number, reason: string) => void;

  constructor(private readonly o: HttpServerOptions) {
    this.#pending = new PendingBytes(o.slack?.maxPendingBodyBytes ?? 8 * MiB);
    this.#logRefusal = createRefusalLog(o.log);
  }

  init(app: App): void {
    this.#app = app;
  }

  async start(): Promise<Server> {
    // Slack sends its headers and small bodies at once: a client slower than this is not Slack, and
    // each connection it holds open costs memory. Node checks these every connectionsCheckingInterval.
    const timeouts = { headersTimeout: 5_000, requestTimeout: 15_000, connectionsCheckingInterval: 1_000 };
    const server = createServer(timeouts, (req, res) => {
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
    if (path !== '/slack/events' || !this.o.slack) return refuse(req, res, 404, 'not found');
    if (req.method !== 'POST') return refuse(req, res, 405, 'method not allowed');
    const slack = this.o.slack;
    try {
      // Unsigned or stale: refused before its body is read, so it costs no memory however large it is.
      signatureHeaders(req);
      const raw = await readBody(req, {
        maxBytes: slack.maxBodyBytes ?? MiB,
        deadlineMs: slack.bodyDeadlineMs ?? 5_000,
        pending: this.#pending,
      });
      verifySignature(req, raw, slack.signingSecret);
      const body = parseBody(req.headers['content-type'], raw);
      if (body.ssl_check === '1') return send(res, 200, '');
      if (body.type === 'url_verification' && typeof body.challenge === 'string')
        return sendJson(res, { challenge: body.challenge });
      const kind = servedKind(body);
      // Options requests, interactive messages and anything unknown: nothing here listens for them.
      if (!kind) return send(res, 404, 'unsupported request');
      if (!served[kind].safeParse(body).success) throw new HttpError(400, 'malformed Slack payload');
      const app = this.#app;
      if (!app) throw new HttpError(503, 'not ready');
      const started = performance.now();
      const early = slack.earlyAnswer?.(kind, body);
      const o = { log: this.o.log, onAck: slack.onAck, inFlight: this.#inFlight };
      if (early && 'run' in early) return await answer(res, o, early.run);
      if (early) {
        sendAck(res, early.answer);
        slack.onAck?.(performance.now() - started);
        return;
      }
      await dispatch(app, req, res, body, o);
    } catch (e) {
      if (e instanceof HttpError) {
        this.#logRefusal(e.status, e.message);
        if (!res.headersSent) refuse(req, res, e.status, e.message);
        return;
      }
      throw e;
    }
  }
}
