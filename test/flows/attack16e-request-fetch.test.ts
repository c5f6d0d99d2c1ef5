import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createRespond } from '@slack/bolt/dist/context/create-respond.js';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PendingSummary } from '../../src/domain/types.ts';
import { requestFetch } from '../../src/slack/request-fetch.ts';
import { createSummaryPost } from '../../src/slack/summary-post.ts';
import { timedFetch } from '../../src/slack/timed-fetch.ts';

/**
 * attack16e: requestFetch (undici.request with fetch's surface) against Node's fetch, through the same
 * WebClient and createSummaryPost, on a real HTTP server that answers each way Slack (or a proxy in
 * front of it) could. Whatever fetch made of an answer — posted, proven not posted, maybe posted — the
 * replacement must make the same, and never "posted" when Slack did not say so.
 */
let server: Server;
let base = '';
const seen: { url?: string; headers: IncomingMessage['headers']; body: string }[] = [];
const huge = JSON.stringify({ ok: true, pad: 'x'.repeat(30 * 1024 * 1024) });

const scenarios: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  ok: (_q, res) => json(res, 200, { ok: true, ts: '1.2' }),
  platform: (_q, res) => json(res, 200, { ok: false, error: 'channel_not_found' }),
  r429: (_q, res) => json(res, 429, { ok: false, error: 'ratelimited' }, { 'Retry-After': '30' }),
  r429reset: (_q, res) => {
    res.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': '30' });
    res.write('{"ok":false,');
    setTimeout(() => res.socket?.destroy(), 20);
  },
  r429slow: (_q, res) => {
    res.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': '30' });
    res.write('{"ok":false,');
    const t = setInterval(() => (res.writableEnded ? clearInterval(t) : res.write(' ')), 20);
    res.on('close', () => clearInterval(t));
  },
  r429none: (_q, res) => json(res, 429, { ok: false, error: 'ratelimited' }),
  e500: (_q, res) => json(res, 500, { ok: false, error: 'internal_error' }),
  e503html: (_q, res) => {
    res.writeHead(503, { 'Content-Type': 'text/html' });
    res.end('<html>upstream down</html>');
  },
  r302: (_q, res) => {
    res.writeHead(302, { Location: '/ok/chat.postMessage' });
    res.end();
  },
  r307: (_q, res) => {
    res.writeHead(307, { Location: '/ok/chat.postMessage' });
    res.end();
  },
  // A proxy's page. (A body of one lowercase word would read as a Slack error code, which has that shape.)
  nonjson: (_q, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<html><body>Service Unavailable</body></html>');
  },
  truncjson: (_q, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"ok":true,"ts":"1.');
  },
  shortlen: (_q, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
    res.write('{"ok":true,');
    setTimeout(() => res.socket?.destroy(), 20);
  },
  reset: (_q, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write('{"ok":true,');
    setTimeout(() => res.socket?.destroy(), 20);
  },
  slowbody: (_q, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write('{"ok":true,');
    const t = setInterval(() => (res.writableEnded ? clearInterval(t) : res.write(' ')), 20);
    res.on('close', () => clearInterval(t));
  },
  never: () => {},
  bytes: (_q, res) => {
    res.writeHead(200, { 'Content-Type': 'application/gzip' });
    res.end(Buffer.from([0x1f, 0x8b, 0xff, 0x00, 0xc3]));
  },
  huge: (_q, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(huge);
  },
  gzip: (_q, res) => {
    // A proxy that compresses whatever the client asked for.
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
    res.end(gzipSync(JSON.stringify({ ok: true, ts: '1.2' })));
  },
};

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    seen.push({ url: req.url, headers: req.headers, body });
    const name = req.url?.split('/')[1] ?? '';
    (scenarios[name] ?? scenarios.ok)!(req, res);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const summary: PendingSummary = {
  id: 'closure-1',
  channelId: 'C1234',
  slackUserId: 'U1234',
  d3Username: 'jdoe',
  closure: { incidentNumber: '20200526-23', site: 'Security Operations', note: 'benign' },
  requestId: 'closure-1',
  createdAt: new Date().toISOString(),
};

/** createSummaryClient's options, with the fetch to compare. */
const client = (scenario: string, f: typeof fetch, timeout = 400) =>
  new WebClient('xoxb-test', {
    slackApiUrl: `${base}/${scenario}/`,
    timeout,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logger: undefined,
    fetch: f,
  });
const postWith = (scenario: string, f: typeof fetch) =>
  createSummaryPost(client(scenario, f), { tries: 1, maxRetryAfterMs: 0 }).post(summary);

describe('attack16e: every Slack answer reads through requestFetch as it did through fetch', () => {
  for (const scenario of Object.keys(scenarios)) {
    it(`summary post, ${scenario}: same PostResult as Node's fetch`, async () => {
      const viaFetch = await postWith(scenario, fetch);
      const viaRequest = await postWith(scenario, requestFetch);
      expect(viaRequest).toEqual(viaFetch);
    });
  }

  it('a 429 with Retry-After is proven not posted and left to a later try, not "maybe"', async () => {
    expect(await postWith('r429', requestFetch)).toEqual({
      ok: false,
      slackError: 'ratelimited',
      permanent: false,
      maybePosted: false,
    });
  });

  it('never "posted" for an answer that does not prove it', async () => {
    for (const s of ['shortlen', 'reset', 'slowbody', 'never', 'e500', 'r302', 'r307']) {
      const r = await postWith(s, requestFetch);
      expect({ s, ok: r.ok, maybe: !r.ok && r.maybePosted }).toEqual({ s, ok: false, maybe: true });
    }
  });

  // Broke (with Node's fetch too): web-api turns a 200 whose body is not JSON (a proxy's HTML page, a body
  // cut short with valid framing) into a WebAPIPlatformError whose `error` is the raw body, and
  // summary-post.ts `failure` read any platform error as Slack's own answer: proven not posted and
  // permanent, while Slack may well have posted it (a truncated '{"ok":true,...'). Fixed there: only an
  // `error` that is a Slack error code counts as Slack's answer.
  it('a 200 with a body that is not JSON is "maybe posted", not a permanent refusal', async () => {
    for (const s of ['nonjson', 'truncjson']) {
      for (const f of [requestFetch, fetch]) {
        const r = await postWith(s, f);
        expect({ s, ok: r.ok, maybe: !r.ok && r.maybePosted, permanent: !r.ok && r.permanent }).toEqual({
          s,
          ok: false,
          maybe: true,
          permanent: false,
        });
        expect(!r.ok && r.slackError).toBe('slack_unreadable_reply');
      }
    }
  });

  it('a body that trickles past the deadline ends the call at the deadline', async () => {
    const t0 = Date.now();
    // As with fetch: the answer's headers came, the body fails when read.
    await expect(
      timedFetch(200)(`${base}/slowbody/x`, { method: 'POST', body: '{}' }).then((r) => r.json()),
    ).rejects.toBeTruthy();
    expect(Date.now() - t0).toBeLessThan(1_500);
  });

  it('arrayBuffer() gives the bytes Slack sent, not a text round trip of them', async () => {
    const res = await requestFetch(`${base}/bytes/x`, { method: 'POST', body: '' });
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([0x1f, 0x8b, 0xff, 0x00, 0xc3]);
  });

  it('a signal aborted before the call rejects at once, and sends nothing', async () => {
    const before = seen.length;
    const ac = new AbortController();
    ac.abort();
    const t0 = Date.now();
    await expect(requestFetch(`${base}/ok/x`, { method: 'POST', body: '{}', signal: ac.signal })).rejects.toBeTruthy();
    expect(Date.now() - t0).toBeLessThan(200);
    await new Promise((r) => setTimeout(r, 100));
    expect(seen.length).toBe(before);
  });

  it('many calls that time out leave the pool working: normal calls after them still answer', async () => {
    const f = timedFetch(100);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) =>
        f(`${base}/${i % 2 ? 'never' : 'slowbody'}/x`, { method: 'POST', body: '{}' }).then((r) => r.text()),
      ),
    );
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    const oks = await Promise.all(
      Array.from({ length: 60 }, () => f(`${base}/ok/x`, { method: 'POST', body: '{}' }).then((r) => r.json())),
    );
    expect(oks.every((b) => (b as { ok: boolean }).ok)).toBe(true);
  });

  it("respond() sends JSON (replace_original, non-ASCII text) with its Content-Type and the body's byte length", async () => {
    const respond = createRespond(timedFetch(1_000), `${base}/ok/hooks/T1/B1/abc`);
    await respond({ text: 'Closed 20200526-23 ✅ — “benign” 日本', replace_original: true } as never);
    const sent = seen.at(-1)!;
    expect(sent.headers['content-type']).toBe('application/json');
    expect(JSON.parse(sent.body)).toEqual({ text: 'Closed 20200526-23 ✅ — “benign” 日本', replace_original: true });
    expect(Number(sent.headers['content-length'])).toBe(Buffer.byteLength(sent.body));
  });

  it('respond() on an expired response_url rejects with its status, as with fetch', async () => {
    const respond = createRespond(timedFetch(1_000), `${base}/e500/hooks/T1/B1/abc`);
    await expect(respond('x')).rejects.toMatchObject({ statusCode: 500 });
  });

  it('WebAPIHTTPError from a 5xx carries the status and headers (headers.entries())', async () => {
    const err = await client('e503html', requestFetch)
      .chat.postMessage({ channel: 'C1', text: 'x' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'slack_webapi_http_error', statusCode: 503, body: '<html>upstream down</html>' });
    expect((err as { headers: Record<string, string> }).headers['content-type']).toBe('text/html');
  });
});
