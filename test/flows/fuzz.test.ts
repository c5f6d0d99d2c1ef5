import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetadataSealer } from '../../src/slack/metadata.ts';
import { slashCommandBody, viewSubmissionPayload } from '../support/fixtures.ts';
import { botToken, type Harness, signingSecret, startHarness } from '../support/harness.ts';

const SEED = 20200526;
const TOTAL = 3200;
const CONCURRENCY = 16;
const FORM = 'application/x-www-form-urlencoded';
/**
 * The only user the app can close for. No request thrown below names it (see `namesGoodUser`), the
 * user map has no email keys and there are no admins to add overrides, so every close the fuzz
 * reaches is refused as user_unmapped before D3: any D3 request at all is a bug.
 */
const GOOD_USER = 'UFZ0GOOD';
const userMap = `defaultSite: Security Operations\nusers:\n  ${GOOD_USER}: { username: fuzzgood }\n`;

interface Hostile {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** A request written on a bare socket (lying framing, duplicate headers): the whole head. */
  rawHead?: string;
  /** Streamed with chunked framing, so no Content-Length warns the app of its size. */
  chunked?: boolean;
}

function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    int,
    chance: (p: number) => next() < p,
    pick: <T>(xs: readonly T[]): T => xs[int(xs.length)] as T,
    bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => int(256))),
    ascii: (n: number) => String.fromCharCode(...Array.from({ length: n }, () => 0x21 + int(94))),
  };
}
type Rng = ReturnType<typeof rng>;

const nowS = () => Math.floor(Date.now() / 1000);
const hmac = (body: Buffer, ts: string, secret = signingSecret) =>
  `v0=${createHmac('sha256', secret).update(`v0:${ts}:`).update(body).digest('hex')}`;
const signed = (body: Buffer, ts = String(nowS())) => ({
  'x-slack-request-timestamp': ts,
  'x-slack-signature': hmac(body, ts),
});

/** Flipped, inserted, deleted or duplicated bytes, or a cut at a random point. */
function mutate(r: Rng, input: Buffer): Buffer {
  let b = Buffer.from(input);
  for (let n = 1 + r.int(4); n > 0 && b.length > 0; n--) {
    const at = r.int(b.length);
    switch (r.int(5)) {
      case 0:
        b[at] = r.int(256);
        break;
      case 1:
        b = Buffer.concat([b.subarray(0, at), r.bytes(1 + r.int(8)), b.subarray(at)]);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + r.int(16))]);
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + 1 + r.int(64)), b.subarray(at)]);
        break;
      default:
        b = b.subarray(0, at);
    }
  }
  return b;
}

/** Whether the bytes could name GOOD_USER once form- and JSON-decoded (a superset: any case, any escape). */
function namesGoodUser(body: Buffer): boolean {
  let text = body.toString('latin1').toLowerCase();
  for (let i = 0; i < 3; i++) {
    text = text
      .replace(/\+/g, ' ')
      .replace(/%([0-9a-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
      .replace(/\\u([0-9a-f]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
      .toLowerCase();
  }
  return text.includes(GOOD_USER.toLowerCase());
}

/** Every string in what the app would parse; the app refuses what does not parse before any listener runs. */
function parsedStrings(body: Buffer, contentType: string): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        out.push(k);
        walk(x);
      }
    }
  };
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    if (contentType.split(';')[0]?.trim().toLowerCase() === 'application/json') walk(JSON.parse(text));
    else {
      const form: Record<string, string> = {};
      for (const pair of text.split('&')) {
        const eq = pair.indexOf('=');
        const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
        form[dec(eq === -1 ? pair : pair.slice(0, eq))] = dec(eq === -1 ? '' : pair.slice(eq + 1));
      }
      walk(typeof form.payload === 'string' ? JSON.parse(form.payload) : form);
    }
  } catch {
    return out;
  }
  return out;
}

/** A scheme after optional leading controls and spaces, which the URL parser skips. */
const looksLikeUrl = (s: string) => {
  let at = 0;
  while (at < s.length && s.charCodeAt(at) <= 0x20) at++;
  return /^[a-z][a-z0-9+.-]*:/i.test(s.slice(at));
};

function generate(seed: number, n: number, responseBase: string): Hostile[] {
  const r = rng(seed);
  const jsonPool = fc.sample(fc.jsonValue(), { seed, numRuns: 400 });
  const stringPool = fc.sample(fc.string({ unit: 'binary', maxLength: 40 }), { seed: seed + 1, numRuns: 200 });
  const responseUrl = `${responseBase}fuzz`;
  const command = (patch: Record<string, string | undefined> = {}) =>
    slashCommandBody('close-command.form', { response_url: responseUrl, ...patch });
  const metadata = createMetadataSealer(botToken).seal({ channel: 'C1234' })!;
  const modal = () => viewSubmissionPayload('close-modal-submit.json', { privateMetadata: metadata });
  const asPayload = (v: unknown) => new URLSearchParams({ payload: JSON.stringify(v) }).toString();
  const texts = [
    '20200526-23 False positive',
    '',
    'help',
    'whoami',
    'history 20200526-23',
    'history ../../x',
    'map <@U5678> root',
    'unmap <@U5678>',
    '20200526-23',
    `20200526-23 <!channel> <@U999|x> <https://evil.example|ok> \`*_~`,
    '20200526-23; rm -rf /',
    `${'9'.repeat(65)} note`,
    `20200526-23 ${'n'.repeat(3001)}`,
    '２０２００５２６ full width',
    '20200526-23 &amp;lt;&gt; entities',
  ];
  const users = ['U1234', 'U5678', 'U0NOSITE', 'W0NOBODY'];
  const channels = ['C1234', 'C9999', 'G0PRIV', 'D0DM'];
  const plausible: Record<string, () => string> = {
    command: () => r.pick(['/close-incident', '/other', '/CLOSE-INCIDENT']),
    text: () => r.pick(texts),
    user_id: () => r.pick(users),
    channel_id: () => r.pick(channels),
    team_id: () => 'T1234',
    trigger_id: () => `${r.int(1e9)}.${r.int(1e9)}.fuzz`,
    response_url: () => responseUrl,
    payload: () => JSON.stringify(r.pick(jsonPool)),
    ssl_check: () => r.pick(['1', '0', '']),
  };
  const fields = Object.keys(plausible);
  const junk = () => (r.chance(0.5) ? r.pick(stringPool) : r.ascii(r.int(30)));
  const base = (kind: string, body: string | Buffer, headers: Record<string, string> = {}): Hostile => {
    const bytes = Buffer.from(body);
    return {
      kind,
      method: 'POST',
      path: '/slack/events',
      body: bytes,
      headers: { 'content-type': FORM, ...signed(bytes), ...headers },
    };
  };

  const builders: Array<[weight: number, build: () => Hostile]> = [
    [6, () => base('random bytes', r.bytes(r.int(3000)))],
    [
      10,
      () => {
        const form = new URLSearchParams();
        for (let i = r.int(10); i > 0; i--) {
          const key = r.chance(0.85) ? r.pick(fields) : junk();
          form.append(key, r.chance(0.6) ? (plausible[key]?.() ?? junk()) : junk());
        }
        return base('random form fields', form.toString());
      },
    ],
    [
      14,
      () =>
        base(
          'hostile command text',
          command({
            text: r.chance(0.7) ? r.pick(texts) : `${r.pick(texts)} ${junk()}`,
            user_id: r.chance(0.85) ? r.pick(users) : r.pick(['u1234', '', 'B0BOT', junk()]),
            trigger_id: `${r.int(1e9)}.${r.int(1e9)}.fuzz`,
            channel_id: r.chance(0.85) ? r.pick(channels) : junk(),
          }),
        ),
    ],
    [16, () => base('mutated command', mutate(r, Buffer.from(command())))],
    [10, () => base('mutated modal (encoded)', mutate(r, Buffer.from(asPayload(modal()))))],
    [
      10,
      () => {
        const json = mutate(r, Buffer.from(JSON.stringify(modal())));
        return base('mutated modal (JSON)', `payload=${encodeURIComponent(json.toString('latin1'))}`);
      },
    ],
    [
      14,
      () => {
        const p = modal() as Record<string, unknown> & { view: Record<string, unknown>; user: Record<string, unknown> };
        const targets: Array<[Record<string, unknown>, string]> = [
          [p, 'type'],
          [p, 'user'],
          [p, 'team'],
          [p, 'view'],
          [p, 'response_urls'],
          [p.user, 'id'],
          [p.user, 'team_id'],
          [p.view, 'id'],
          [p.view, 'callback_id'],
          [p.view, 'private_metadata'],
          [p.view, 'state'],
          [p.view, 'app_installed_team_id'],
        ];
        for (let i = 1 + r.int(3); i > 0; i--) {
          const [obj, key] = r.pick(targets);
          if (r.chance(0.2)) delete obj[key];
          else obj[key] = r.chance(0.7) ? r.pick(jsonPool) : r.pick(stringPool);
        }
        return base('patched modal', asPayload(p));
      },
    ],
    [
      8,
      () => {
        const v = r.chance(0.3)
          ? {
              type: r.pick(['view_submission', 'block_actions', 'shortcut', 'event_callback']),
              ...Object(r.pick(jsonPool)),
            }
          : r.pick(jsonPool);
        if (r.chance(0.5)) return base('random JSON payload', asPayload(v));
        return base('random JSON body', JSON.stringify(v), { 'content-type': 'application/json' });
      },
    ],
    [
      12,
      () => {
        const body = Buffer.from(r.chance(0.5) ? command() : asPayload(modal()));
        const ts = String(nowS());
        const good = hmac(body, ts);
        const variants: Array<Record<string, string>> = [
          { 'x-slack-signature': `v0=${r.ascii(64)}` },
          { 'x-slack-signature': good.slice(0, -1) },
          { 'x-slack-signature': good.toUpperCase() },
          { 'x-slack-signature': good.replace('v0=', 'v1=') },
          { 'x-slack-signature': `${good}, ${good}` },
          { 'x-slack-signature': hmac(body, ts, 'another-secret') },
          { 'x-slack-signature': '' },
          {
            'x-slack-request-timestamp': String(nowS() - 301 - r.int(1e6)),
            'x-slack-signature': hmac(body, String(nowS() - 301)),
          },
          { 'x-slack-request-timestamp': String(nowS() + 301 + r.int(1e6)) },
          {
            'x-slack-request-timestamp': r.pick([
              '',
              '0',
              '-1',
              '1e9',
              `${ts}.5`,
              `${ts}x`,
              '9'.repeat(40),
              r.ascii(12),
            ]),
          },
        ];
        const h = base('bad signature', body, r.pick(variants));
        if (r.chance(0.1)) delete h.headers['x-slack-signature'];
        if (r.chance(0.1)) delete h.headers['x-slack-request-timestamp'];
        return h;
      },
    ],
    [
      8,
      () => {
        const body = r.chance(0.5) ? command() : asPayload(modal());
        const extra = r.pick<Record<string, string>>([
          {
            'content-type': r.pick([
              'text/plain',
              'application/json',
              `${FORM}; charset=latin1`,
              FORM.toUpperCase(),
              'multipart/form-data',
              junk().replace(/[^\x21-\x7e]/g, ''),
            ]),
          },
          {
            'x-slack-retry-num': r.pick(['1', '-1', 'abc', '1e9', '99999999999999999999']),
            'x-slack-retry-reason': r.ascii(20),
          },
          { 'x-fuzz-padding': r.ascii(8000 + r.int(4000)) },
          { 'user-agent': r.ascii(2000), accept: r.ascii(2000), 'x-forwarded-for': r.ascii(200) },
          { 'content-encoding': r.pick(['gzip', 'br', 'identity']) },
        ]);
        return base('header chaos', body, extra);
      },
    ],
    [
      4,
      () => {
        const h = base('method or path', command());
        h.method = r.pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'POST']);
        h.path = r.pick([
          '/slack/events/',
          '/SLACK/EVENTS',
          '/slack/events?x=1',
          '/slack/../slack/events',
          '/',
          '/healthz',
          '/metrics',
          '/%00',
          `/${r.ascii(200).replace(/[#?]/g, '')}`,
        ]);
        if (h.method === 'GET') h.body = Buffer.alloc(0);
        return h;
      },
    ],
    [
      6,
      () => {
        const body = Buffer.from(command());
        const sig = signed(body);
        const framing = r.pick([
          `Content-Length: ${body.length}\nContent-Length: ${body.length + 1}`,
          `Content-Length: ${body.length}\nTransfer-Encoding: chunked`,
          `Content-Length: ${r.ascii(5)}`,
          `Content-Length: ${body.length - 1 - r.int(Math.min(body.length - 1, 60))}`,
          `Content-Length: ${body.length}\nx-slack-signature: v0=${'1'.repeat(64)}`,
          `Content-Length: ${body.length}\nX-Broken header`,
          `Content-Length: ${body.length}\nX-Folded: a\n  folded`,
          'Transfer-Encoding: chunked',
        ]);
        const wire = framing === 'Transfer-Encoding: chunked' ? Buffer.from(`zz\r\n${body}\r\n0\r\n\r\n`) : body;
        const head = `POST /slack/events HTTP/1.1\nHost: x\nConnection: close\nContent-Type: ${FORM}\n${framing}\nx-slack-signature: ${sig['x-slack-signature']}\nx-slack-request-timestamp: ${sig['x-slack-request-timestamp']}\n\n`;
        return { kind: 'lying framing', method: 'POST', path: '/slack/events', headers: {}, body: wire, rawHead: head };
      },
    ],
    [1, () => base('over 1 MB', Buffer.concat([Buffer.from(command()), Buffer.alloc(1024 * 1024, 0x61)]))],
    [
      1,
      () => ({
        ...base(
          'over 1 MB, chunked',
          Buffer.concat([Buffer.from(command()), Buffer.alloc(1024 * 1024 + r.int(1e6), 0x61)]),
        ),
        chunked: true,
      }),
    ],
  ];
  const totalWeight = builders.reduce((s, [w]) => s + w, 0);
  const out: Hostile[] = [];
  while (out.length < n) {
    const roll = r.int(totalWeight);
    let sum = 0;
    const build = builders.find(([w]) => {
      sum += w;
      return roll < sum;
    })?.[1];
    const req = (build ?? builders[0]![1])();
    if (namesGoodUser(req.body) || Object.values(req.headers).some((v) => namesGoodUser(Buffer.from(v)))) continue;
    // Bolt's respond() and the error handler POST to a response_url: only the fake's ever reaches the network.
    const urls = parsedStrings(req.body, req.headers['content-type'] ?? '');
    if (urls.some((s) => looksLikeUrl(s) && !s.startsWith(responseBase))) continue;
    out.push(req);
  }
  return out;
}

function rawExchange(port: number, head: string, body: Buffer): Promise<number | 'closed'> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]) || 'closed'));
    socket.on('connect', () => {
      socket.write(head.replace(/\n/g, '\r\n'));
      socket.end(body);
    });
  });
}

async function send(url: string, port: number, req: Hostile): Promise<number | string> {
  if (req.rawHead) return rawExchange(port, req.rawHead, req.body);
  const piece = 64 * 1024;
  const stream = () =>
    new ReadableStream({
      start(c) {
        for (let at = 0; at < req.body.length; at += piece) c.enqueue(req.body.subarray(at, at + piece));
        c.close();
      },
    });
  try {
    const res = await fetch(`${url}${req.path}`, {
      method: req.method,
      headers: req.headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : req.chunked ? stream() : req.body,
      ...(req.chunked ? { duplex: 'half' } : {}),
    } as RequestInit);
    await res.arrayBuffer();
    return res.status;
  } catch (e) {
    return `fetch failed: ${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message}`;
  }
}

describe('fuzz: thousands of malformed and hostile requests', () => {
  let h: Harness;
  let stopped = false;
  const crashes: unknown[] = [];
  const onCrash = (e: unknown) => crashes.push(e);
  beforeAll(async () => {
    process.on('uncaughtException', onCrash).on('unhandledRejection', onCrash);
    h = await startHarness({ userMap });
  });
  afterAll(async () => {
    process.off('uncaughtException', onCrash).off('unhandledRejection', onCrash);
    if (stopped) await Promise.all([h.d3.stop(), h.slack.stop()]);
    else await h.stop();
  });

  it('answers every one with a status below 500, calls D3 never, and still closes a good request', async () => {
    const requests = generate(SEED, TOTAL, h.slack.responseUrl(''));
    const statuses: Array<number | string> = [];
    const byKind = new Map<string, Map<number | string, number>>();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < requests.length) {
          const req = requests[next++]!;
          const status = await send(h.baseUrl, h.bot.port, req);
          statuses.push(status);
          const kind = byKind.get(req.kind) ?? new Map();
          kind.set(status, (kind.get(status) ?? 0) + 1);
          byKind.set(req.kind, kind);
        }
      }),
    );
    const histogram = Object.fromEntries(
      [...new Set(statuses)].sort().map((s) => [s, statuses.filter((x) => x === s).length]),
    );
    console.log(
      `fuzz: ${statuses.length} requests thrown (seed ${SEED}); status histogram ${JSON.stringify(histogram)}`,
    );
    for (const [kind, counts] of byKind) console.log(`  ${kind}: ${JSON.stringify(Object.fromEntries(counts))}`);

    expect(statuses).toHaveLength(TOTAL);
    expect(statuses.filter((s) => typeof s !== 'number' || s >= 500)).toEqual([]);
    expect((await fetch(`${h.baseUrl}/healthz`)).status).toBe(200);

    const good = await h.command({ user_id: GOOD_USER, text: '20200526-23 fuzz survived' });
    expect(good.status).toBe(200);
    await h.slack.waitFor(() =>
      h.slack.calls('chat.postMessage').some((c) => String(c.args.text).includes('fuzz survived')),
    );
    // Stopping drains every listener still at work, so a late D3 call from the fuzz would be counted.
    await h.stop({ keepFakes: true });
    stopped = true;
    const refused = h.logs().match(/close attempt: refused \(\w+\)/g) ?? [];
    console.log(
      `fuzz: ${refused.length} reached the close use case and were refused before D3 ` +
        `(${[...new Set(refused)].map((r) => r.slice(24, -1)).join(' ')}); D3 requests from the fuzz: ${h.d3.requests().length - 1}`,
    );
    expect(h.d3.requests().map((d) => (d.body as { Username?: string }).Username)).toEqual(['fuzzgood']);
    expect(crashes).toEqual([]);
    // Hostile input is refused as expected; none of it may reach the unexpected-error paths.
    const errors = h
      .logs()
      .split('\n')
      .filter((l) => l.includes('"level":50'));
    expect(errors.map((l) => JSON.parse(l).msg)).toEqual([]);
  }, 90_000);
});
