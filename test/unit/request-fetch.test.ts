import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestFetch } from '../../src/slack/request-fetch.ts';
import { timedFetch } from '../../src/slack/timed-fetch.ts';

/** A real HTTP server on loopback: each path answers its own way, and every request is recorded. */
let server: Server;
let base = '';
const seen: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[] = [];

beforeAll(async () => {
  server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    seen.push({ method: req.method, url: req.url, headers: req.headers, body });
    if (req.url === '/api/chat.postMessage') {
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.setHeader('Retry-After', '7');
      res.end(JSON.stringify({ ok: true, ts: '1.2', echo: body }));
    } else if (req.url === '/gone') {
      res.statusCode = 404;
      res.end('expired_url');
    } else if (req.url === '/hang') {
      // Never answers: the caller's signal must end the call.
    } else {
      res.statusCode = 302;
      res.setHeader('Location', '/api/chat.postMessage');
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('requestFetch: fetch over undici.request for Slack calls', () => {
  it('sends method, headers and a string body; reads status, headers, url, text and JSON', async () => {
    const res = await requestFetch(`${base}/api/chat.postMessage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: 'Bearer xoxb-test' },
      body: 'channel=C1&text=hi',
    });
    const sent = seen.at(-1);
    expect(sent?.method).toBe('POST');
    expect(sent?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(sent?.headers.authorization).toBe('Bearer xoxb-test');
    expect(sent?.body).toBe('channel=C1&text=hi');
    expect(res.ok).toBe(true);
    expect(res.status).toBe(200);
    expect(res.url).toBe(`${base}/api/chat.postMessage`);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.headers.get('set-cookie')).toBe('a=1, b=2');
    expect(await res.json()).toEqual({ ok: true, ts: '1.2', echo: 'channel=C1&text=hi' });
    // Read again, as web-api's error paths may: the body was read once, whole.
    expect(JSON.parse(await res.text())).toMatchObject({ ok: true });
    expect(new TextDecoder().decode(await res.arrayBuffer())).toContain('"ts":"1.2"');
  });

  it('gives a refusal back as a response (not ok, its status and words), as fetch does', async () => {
    const res = await requestFetch(`${base}/gone`, { method: 'POST', body: '{}' });
    expect(res.ok).toBe(false);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('expired_url');
  });

  it('does not follow a redirect: the 3xx comes back as it is', async () => {
    const before = seen.length;
    const res = await requestFetch(`${base}/moved`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(302);
    expect(res.ok).toBe(false);
    expect(seen.length).toBe(before + 1);
  });

  it('rejects when the caller gives up (timedFetch, web-api timeout) on a Slack that never answers', async () => {
    await expect(timedFetch(100)(`${base}/hang`, { method: 'POST', body: '{}' })).rejects.toThrow();
    await expect(
      requestFetch(`${base}/hang`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(100) }),
    ).rejects.toThrow();
  });

  it('rejects when nothing listens (never a made-up response)', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expect(
      requestFetch(`http://127.0.0.1:${port}/api/auth.test`, { method: 'POST', body: '' }),
    ).rejects.toThrow();
  });

  it("sends a body that is not a string (a file upload's FormData) through Node's fetch, as before", async () => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array([1, 2, 3])]), 'a.bin');
    const res = await requestFetch(`${base}/api/chat.postMessage`, { method: 'POST', body: form });
    expect(res.ok).toBe(true);
    expect(seen.at(-1)?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
  });
});
