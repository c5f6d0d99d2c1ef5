import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSocketModeServer, type FakeSocketMode } from './fake-slack-socket.ts';
import { surfaceMethods } from './fake-slack-surfaces.ts';

export type { FakeSocketMode, SocketAck, SocketEnvelopeType } from './fake-slack-socket.ts';

/** A users.info user; the flags default to a confirmed full member of the installing workspace. */
export interface FakeSlackUser {
  email?: string;
  name?: string;
  teamId?: string;
  enterpriseId?: string;
  emailConfirmed?: boolean;
  stranger?: boolean;
  restricted?: boolean;
  ultraRestricted?: boolean;
}

export interface FakeSlackOptions {
  users?: Record<string, FakeSlackUser>;
  /** Who auth.test says installed the bot; default workspace T1234, no Enterprise org. */
  installation?: { teamId?: string; enterpriseId?: string; enterpriseInstall?: boolean };
  userGroups?: Record<string, string[]>;
  botToken?: string;
  /** The `xapp-` token SocketModeClient sends to apps.connections.open. */
  appToken?: string;
  /** Bot scopes sent in `x-oauth-scopes` on every Web API answer; default: those manifest.yml asks for. */
  scopes?: string[];
  /** What conversations.list serves (name → id); the bot is a member unless `member: false`. */
  channels?: Array<{ id: string; name: string; member?: boolean }>;
}

/** The bot scopes manifest.yml asks for (history ones included). */
export const manifestScopes = [
  'commands',
  'chat:write',
  'chat:write.public',
  'im:write',
  'users:read',
  'users:read.email',
  'usergroups:read',
  'channels:read',
  'groups:read',
  'channels:history',
  'groups:history',
  'im:history',
  'mpim:history',
];

/** One scripted answer, consumed in order before the default answer for that method. */
export interface ScriptedReply {
  ok?: false;
  error?: string;
  /** HTTP status; 429 gets `retry-after: 1` unless `headers` sets it. */
  status?: number;
  headers?: Record<string, string>;
  delayMs?: number;
  /** Never answer; the request lands in `hung()`, not `calls()`. */
  hang?: true;
  /** With `hang`: act on the request first (a posted message is kept), as when Slack's answer is lost. */
  commit?: true;
  /** The whole JSON body, replacing what `ok`/`error` would build. */
  body?: Record<string, unknown>;
}

export interface RecordedCall {
  method: string;
  /** Form or JSON fields; `blocks`, `attachments`, `view`, `metadata` are JSON-decoded. */
  args: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  at: number;
}

export interface FakeSlack {
  /** For WebClient's `slackApiUrl`; ends with `/`. */
  apiUrl: string;
  /** A loopback response_url; POSTs to it are recorded by `id`. */
  responseUrl(id?: string): string;
  /** Method name, or `'response_url'` to script the response URLs. */
  script(method: string, ...replies: ScriptedReply[]): void;
  /** Answers every `method` call with `reply` (after any scripted ones) until called again without one. */
  outage(method: string, reply?: ScriptedReply): void;
  /** Messages posted in `channel` (what conversations.history serves), oldest first. */
  messages(channel: string): Array<Record<string, unknown>>;
  /** Replies posted in the thread of `threadTs` in `channel`, oldest first. */
  replies(channel: string, threadTs: string): Array<Record<string, unknown>>;
  calls(method?: string): RecordedCall[];
  hung(method?: string): RecordedCall[];
  /** JSON bodies answered 2xx on response URLs (what the user saw), oldest first. */
  responses(id?: string): unknown[];
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /** Called as each request arrives, before it is answered; returns an unsubscribe function. */
  onRequest(cb: (call: RecordedCall & { hang: boolean }) => void): () => void;
  socket: FakeSocketMode;
  stop(): Promise<void>;
}

const JSON_FIELDS = ['blocks', 'attachments', 'view', 'metadata'];

export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const botToken = opts.botToken ?? 'xoxb-test-token';
  const appToken = opts.appToken ?? 'xapp-test-token';
  const scripts = new Map<string, ScriptedReply[]>();
  const outages = new Map<string, ScriptedReply>();
  const posted = new Map<string, Array<Record<string, unknown>>>();
  /** Thread replies by `channel/thread_ts`, oldest first (conversations.replies serves them). */
  const threads = new Map<string, Array<Record<string, unknown>>>();
  /** A reply goes to its thread; the channel's history shows it only when broadcast, as in Slack. */
  function keep(a: Record<string, unknown>, m: Record<string, unknown>): Record<string, unknown> {
    const channel = String(a.channel);
    const threadTs = typeof a.thread_ts === 'string' ? a.thread_ts : undefined;
    const broadcast = a.reply_broadcast === 'true' || a.reply_broadcast === true;
    const kept = threadTs ? { ...m, thread_ts: threadTs, ...(broadcast && { subtype: 'thread_broadcast' }) } : m;
    if (threadTs) threads.set(`${channel}/${threadTs}`, [...(threads.get(`${channel}/${threadTs}`) ?? []), kept]);
    if (!threadTs || broadcast) posted.set(channel, [...(posted.get(channel) ?? []), kept]);
    return { ok: true, channel: a.channel, ts: kept.ts, message: kept };
  }
  const scopes = (opts.scopes ?? manifestScopes).join(',');
  const answered: RecordedCall[] = [];
  const hung: RecordedCall[] = [];
  const responses: Array<{ id: string; body: unknown }> = [];
  const listeners = new Set<(call: RecordedCall & { hang: boolean }) => void>();
  const socket = createSocketModeServer('A1234');
  let seq = 0;
  let base = '';

  const defaults: Record<string, (args: Record<string, unknown>) => Record<string, unknown>> = {
    'auth.test': () => ({
      ok: true,
      url: 'https://acme-sec.slack.com/',
      team: 'Acme',
      user: 'close-incident',
      team_id: opts.installation?.teamId ?? 'T1234',
      ...(opts.installation?.enterpriseId ? { enterprise_id: opts.installation.enterpriseId } : {}),
      user_id: 'UBOT',
      bot_id: 'BBOT',
      is_enterprise_install: opts.installation?.enterpriseInstall ?? false,
    }),
    'chat.postMessage': (a) => {
      if (!a.channel) return { ok: false, error: 'channel_not_found' };
      if (!a.text && !a.blocks && !a.attachments) return { ok: false, error: 'no_text' };
      const ts = nextTs();
      const message = { type: 'message', text: a.text ?? '', blocks: a.blocks, user: 'UBOT', bot_id: 'BBOT', ts };
      const kept = a.metadata ? { ...message, metadata: a.metadata } : message;
      return keep(a, kept);
    },
    'chat.postEphemeral': (a) =>
      a.channel && a.user ? { ok: true, message_ts: nextTs() } : { ok: false, error: 'channel_not_found' },
    'chat.update': (a) => ({ ok: true, channel: a.channel, ts: a.ts, text: a.text ?? '' }),
    'views.open': (a) => viewReply(a),
    'views.update': (a) => viewReply(a),
    'views.push': (a) => viewReply(a),
    'users.info': (a) => {
      const id = String(a.user);
      const user = opts.users?.[id];
      if (!user) return { ok: false, error: 'user_not_found' };
      const name = user.name ?? id.toLowerCase();
      const profile = { real_name: name, display_name: name, ...(user.email ? { email: user.email } : {}) };
      const flags = {
        is_email_confirmed: user.emailConfirmed ?? true,
        is_restricted: user.restricted ?? false,
        is_ultra_restricted: user.ultraRestricted ?? false,
        ...(user.stranger ? { is_stranger: true } : {}),
        ...(user.enterpriseId ? { enterprise_user: { id, enterprise_id: user.enterpriseId, teams: [] } } : {}),
      };
      return {
        ok: true,
        user: {
          id,
          team_id: user.teamId ?? 'T1234',
          name,
          real_name: name,
          deleted: false,
          is_bot: false,
          ...flags,
          profile,
        },
      };
    },
    'usergroups.users.list': (a) => {
      const users = opts.userGroups?.[String(a.usergroup)];
      return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
    },
    'conversations.open': (a) => ({ ok: true, channel: { id: `D${String(a.users ?? a.channel).replace(/\W/g, '')}` } }),
    'conversations.history': (a) => history(a),
    ...surfaceMethods({ channels: opts.channels, threads, nextTs, base: () => base }),
    'apps.connections.open': () => ({
      ok: true,
      url: `${base.replace('http', 'ws')}/socket-mode?ticket=${++seq}&app_id=A1234`,
    }),
  };

  // Timestamps follow the wall clock, as Slack's do, so `oldest` in conversations.history means what it says.
  function nextTs(): string {
    seq += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(seq).padStart(6, '0')}`;
  }

  /** Newest first, after `oldest`, paged by `cursor`; metadata only with include_all_metadata, as Slack does. */
  function history(a: Record<string, unknown>): Record<string, unknown> {
    const oldest = Number(a.oldest ?? 0);
    const all = (posted.get(String(a.channel)) ?? []).filter((m) => Number(m.ts) > oldest).reverse();
    const from = Number(a.cursor || 0);
    const limit = Math.min(Number(a.limit || 100), 999);
    const withMeta = a.include_all_metadata === 'true' || a.include_all_metadata === true;
    const page = all
      .slice(from, from + limit)
      .map(({ metadata, ...m }) => (withMeta && metadata ? { ...m, metadata } : m));
    const more = from + limit < all.length;
    return {
      ok: true,
      messages: page,
      has_more: more,
      response_metadata: { next_cursor: more ? String(from + limit) : '' },
    };
  }

  function viewReply(a: Record<string, unknown>): Record<string, unknown> {
    const view = (a.view ?? {}) as Record<string, unknown>;
    const id = typeof a.view_id === 'string' ? a.view_id : `V${1000 + ++seq}`;
    return {
      ok: true,
      view: { ...view, id, team_id: 'T1234', app_id: 'A1234', bot_id: 'BBOT', state: { values: {} } },
    };
  }

  function authError(method: string, token: string | undefined): string | undefined {
    const expected = method === 'apps.connections.open' ? appToken : botToken;
    if (!token) return 'not_authed';
    return token === expected ? undefined : 'invalid_auth';
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = new URL(req.url ?? '/', base).pathname;
    const isResponseUrl = path.startsWith('/response/');
    if (!isResponseUrl && !path.startsWith('/api/')) return void res.writeHead(404).end();
    const name = decodeURIComponent(path.slice(isResponseUrl ? '/response/'.length : '/api/'.length));
    const method = isResponseUrl ? 'response_url' : name;
    const args = parseArgs(raw, req.headers['content-type']);
    const call: RecordedCall = { method, args, headers: req.headers, at: Date.now() };
    const reply = scripts.get(method)?.shift() ?? outages.get(method) ?? {};
    if (reply.hang && reply.commit && !isResponseUrl) defaults[method]?.(args);
    for (const cb of listeners) cb({ ...call, hang: reply.hang === true });
    if (reply.hang) return void hung.push(call);
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (res.destroyed || req.socket.destroyed) return void hung.push(call);
    const status = reply.status ?? 200;
    const headers = {
      'content-type': 'application/json; charset=utf-8',
      ...(isResponseUrl ? {} : { 'x-oauth-scopes': scopes }),
      ...reply.headers,
    };
    if (status === 429 && !Object.keys(headers).some((h) => h.toLowerCase() === 'retry-after')) {
      Object.assign(headers, { 'retry-after': '1' });
    }
    let body: Record<string, unknown>;
    if (reply.body) body = reply.body;
    else if (reply.ok === false || reply.error) body = { ok: false, error: reply.error ?? 'fatal_error' };
    else if (status === 429) body = { ok: false, error: 'ratelimited' };
    else if (status >= 400) body = { ok: false, error: 'internal_error' };
    else if (isResponseUrl) body = { ok: true };
    else {
      const token = bearer(req.headers.authorization) ?? (typeof args.token === 'string' ? args.token : undefined);
      const error = authError(method, token);
      body = error ? { ok: false, error } : (defaults[method]?.(args) ?? { ok: false, error: 'unknown_method' });
    }
    if (isResponseUrl) {
      if (status < 300) responses.push({ id: name, body: args });
    } else {
      answered.push(call);
    }
    res.writeHead(status, headers).end(JSON.stringify(body));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    });
  });
  server.on('upgrade', (req, sock, head) => {
    if (req.url?.startsWith('/socket-mode')) socket.handleUpgrade(req, sock, head);
    else sock.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const byMethod = (list: RecordedCall[], method?: string) =>
    method === undefined ? [...list] : list.filter((c) => c.method === method);

  return {
    apiUrl: `${base}/api/`,
    responseUrl: (id = 'default') => `${base}/response/${encodeURIComponent(id)}`,
    script: (method, ...replies) => scripts.set(method, [...(scripts.get(method) ?? []), ...replies]),
    outage: (method, reply) => void (reply ? outages.set(method, reply) : outages.delete(method)),
    messages: (channel) => [...(posted.get(channel) ?? [])],
    replies: (channel, threadTs) => [...(threads.get(`${channel}/${threadTs}`) ?? [])],
    calls: (method) => byMethod(answered, method),
    hung: (method) => byMethod(hung, method),
    responses: (id) => responses.filter((r) => id === undefined || r.id === id).map((r) => r.body),
    waitFor,
    onRequest(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    socket,
    async stop() {
      await socket.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `predicate` every 10 ms; rejects with the predicate's source when it stays false for `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`waitFor: still false after ${timeoutMs} ms: ${predicate.toString()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function bearer(header: string | undefined): string | undefined {
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** WebClient always sends form-urlencoded, JSON-encoding every non-primitive argument; respond() sends JSON. */
function parseArgs(raw: string, contentType = ''): Record<string, unknown> {
  const args: Record<string, unknown> = contentType.includes('json')
    ? ((tryJson(raw) as Record<string, unknown> | undefined) ?? {})
    : Object.fromEntries(new URLSearchParams(raw));
  for (const key of JSON_FIELDS) if (typeof args[key] === 'string') args[key] = tryJson(args[key]) ?? args[key];
  return args;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
