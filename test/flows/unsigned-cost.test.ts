import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/fake-slack.ts';
import { type Harness, startHarness } from '../support/harness.ts';

const MB = 1024 * 1024;
const nowS = () => Math.floor(Date.now() / 1000);
const wellFormed = (ts = nowS()) => ({
  'x-slack-signature': `v0=${'0'.repeat(64)}`,
  'x-slack-request-timestamp': String(ts),
});

interface Raw {
  socket: Socket;
  /** The status line's code once an answer arrived. */
  status(): number | undefined;
  /** The answer's header block, lower-cased. */
  head(): string;
  closed(): boolean;
}

/** Sends a request head (and `bodyBytes` of its body) on a bare socket, and sends nothing more. */
function stall(port: number, headers: Record<string, string>, contentLength: number, bodyBytes = 0): Raw {
  const socket = connect(port, '127.0.0.1');
  let answer = '';
  let closed = false;
  socket.on('data', (chunk) => {
    answer += chunk.toString('latin1');
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
  });
  const lines = Object.entries({
    host: '127.0.0.1',
    'content-type': 'application/x-www-form-urlencoded',
    'content-length': String(contentLength),
    ...headers,
  }).map(([k, v]) => `${k}: ${v}`);
  socket.write(`POST /slack/events HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
  if (bodyBytes > 0) socket.write(Buffer.alloc(bodyBytes, 0x61));
  return {
    socket,
    status: () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      return m ? Number(m[1]) : undefined;
    },
    head: () => answer.split('\r\n\r\n')[0]?.toLowerCase() ?? '',
    closed: () => closed,
  };
}

describe('requests that cannot be from Slack cost nothing', () => {
  let h: Harness | undefined;
  const raws: Raw[] = [];
  afterEach(async () => {
    for (const r of raws.splice(0)) r.socket.destroy();
    await h?.stop();
    h = undefined;
  });
  const open = (...args: Parameters<typeof stall>) => {
    const r = stall(...args);
    raws.push(r);
    return r;
  };

  it.each([
    ['no signature headers', {}],
    ['a timestamp six minutes old', wellFormed(nowS() - 360)],
    ['a timestamp that is not a number', { ...wellFormed(), 'x-slack-request-timestamp': 'now' }],
    ['a signature that is not v0 hex', { ...wellFormed(), 'x-slack-signature': 'v0=not-hex' }],
  ])('answers a 1 MB request with %s with 401 while its body is still unsent, and hangs up', async (_n, headers) => {
    h = await startHarness();
    const none = open(h.bot.port, headers, MB);
    const half = open(h.bot.port, headers, MB, MB / 2);
    await waitFor(() => none.closed() && half.closed(), 3_000);
    expect([none.status(), half.status()]).toEqual([401, 401]);
    expect(none.head()).toContain('connection: close');
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('gives up on a signed request whose body stalls with 408, and hangs up', async () => {
    h = await startHarness({ runtime: { slackBodies: { bodyDeadlineMs: 300 } } });
    const slow = open(h.bot.port, wellFormed(), 2_000, 100);
    await waitFor(() => slow.closed(), 3_000);
    expect(slow.status()).toBe(408);
    expect(slow.head()).toContain('connection: close');
  });

  it('refuses stalled bodies beyond the shared cap with 503, and still serves a genuine close during and after', async () => {
    h = await startHarness({ runtime: { slackBodies: { bodyDeadlineMs: 3_000 } } });
    const port = h.bot.port;
    const stalled = Array.from({ length: 10 }, () => open(port, wellFormed(), MB, 1_000));
    const answered = () => stalled.filter((r) => r.closed()).map((r) => r.status());
    await waitFor(() => answered().length === 2, 2_000);
    expect(answered()).toEqual([503, 503]);

    const during = await h.command({ text: '20200526-23 closed during the flood' });
    expect(during.status).toBe(200);
    await waitFor(() => answered().length === 3, 2_000);
    expect(answered()).toEqual([503, 503, 503]);

    await waitFor(() => answered().length === 10, 6_000);
    expect(answered().sort()).toEqual([...Array(7).fill(408), 503, 503, 503]);
    const after = await h.command({ text: '20200526-24 closed after the flood' });
    expect(after.status).toBe(200);
    await h.slack.waitFor(() => h!.slack.calls('chat.postMessage').length === 2);
    expect(h.d3.closeCalls()).toHaveLength(2);
  });
});
