import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/config.ts';
import { createD3Client, type D3Client } from '../../src/d3/client.ts';
import { createD3Gateway } from '../../src/d3/gateway.ts';
import { createRateLimiter, type LimiterClock, type RateLimiter } from '../../src/d3/rate-limit.ts';
import type { CloseCommand, D3Gateway } from '../../src/domain/ports.ts';
import { type FakeD3, startFakeD3 } from '../support/fake-d3.ts';
import { rejection } from '../support/rejection.ts';

const N = '20200526-23';
const NOTE = 'Contained; reimaged host WS-0193';
const cmd = (incidentNumber = N): CloseCommand => ({
  username: 'jdoe',
  site: 'Blue Team',
  incidentNumber,
  note: NOTE,
  requestId: `req-${incidentNumber}`,
});

let d3: FakeD3;
let cleanup: Array<() => Promise<void>>;

beforeEach(async () => {
  d3 = await startFakeD3();
  cleanup = [];
});

afterEach(async () => {
  for (const c of cleanup) await c();
  await d3.stop();
});

function virtualClock() {
  let t = 0;
  let timers: Array<{ at: number; fn: () => void }> = [];
  const clock: LimiterClock & { advance(ms: number): void } = {
    now: () => t,
    setTimeout(fn, ms) {
      const h = { at: t + ms, fn };
      timers.push(h);
      return h;
    },
    clearTimeout(h) {
      timers = timers.filter((x) => x !== h);
    },
    advance(ms) {
      t += ms;
      for (const due of timers.filter((x) => x.at <= t)) {
        timers = timers.filter((x) => x !== due);
        due.fn();
      }
    },
  };
  return clock;
}

interface Setup {
  baseUrl?: string;
  apiKey?: string;
  timeoutMs?: number;
  retryDeadlineMs?: number;
  limiter?: RateLimiter;
  wrap?: (c: D3Client) => D3Client;
}

function setup(o: Setup = {}) {
  let now = 0;
  const slept: number[] = [];
  const lines: Array<{ level: string; obj: object; msg: string }> = [];
  const record = (level: string) => (obj: object, msg: string) => lines.push({ level, obj, msg });
  const client = createD3Client({
    baseUrl: o.baseUrl ?? d3.url,
    namespace: 'VSOC',
    apiKey: new Secret(o.apiKey ?? 'test-d3-key'),
    stateApiKey: new Secret(o.apiKey ?? 'test-d3-key'),
    keyHeader: 'd3key',
    timeoutMs: o.timeoutMs ?? 2_000,
    closeCommand: 'CloseIncident',
  });
  const gateway: D3Gateway = createD3Gateway({
    client: o.wrap ? o.wrap(client) : client,
    limiter: o.limiter ?? createRateLimiter({ maxRps: 50, queueMax: 50 }),
    retryDeadlineMs: o.retryDeadlineMs ?? 10_000,
    clockSkewMs: 120_000,
    log: { info: record('info'), warn: record('warn'), error: record('error') },
    now: () => now,
    random: () => 0.5,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  });
  cleanup.push(() => gateway.destroy());
  return { gateway, slept, lines };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const stateCalls = () => d3.requests().filter((r) => r.command === 'getIncidentStaticField');
const waitForCloseCalls = async (n: number) => {
  while (d3.closeCalls().length < n) await new Promise((r) => setTimeout(r, 5));
};

describe('D3 gateway retries only where D3 certainly did not act', () => {
  it('confirms one close after a 429, waiting as long as Retry-After says', async () => {
    const { gateway, slept } = setup();
    d3.script('close', { status: 429, fixture: '429.json', headers: { 'retry-after': '2' } });
    await expect(gateway.closeIncident(cmd())).resolves.toMatchObject({ incidentNumber: N, closedBy: 'Jordan Vale' });
    expect(d3.closeCalls()).toHaveLength(2);
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeGreaterThanOrEqual(2_000);
  });

  it('retries a 503 until D3 answers', async () => {
    const { gateway, slept } = setup();
    d3.script('close', { status: 503, fixture: '503.json' }, { status: 503, fixture: '503.json' });
    await expect(gateway.closeIncident(cmd())).resolves.toMatchObject({ closeType: 'Closed' });
    expect(d3.closeCalls()).toHaveLength(3);
    expect(slept[1]).toBeGreaterThan(slept[0] ?? Number.POSITIVE_INFINITY);
  });

  it('does not retry a 503 answered once the instance stops, and marks it as the stop’s (a queued close is handed over)', async () => {
    const limiter = createRateLimiter({ maxRps: 50, queueMax: 50 });
    const { gateway, slept } = setup({ limiter });
    d3.script('close', { status: 503, fixture: '503.json', delayMs: 200 });
    const closing = rejection(gateway.closeIncident(cmd()));
    await waitForCloseCalls(1);
    limiter.close();
    expect(await closing).toMatchObject({
      code: 'd3_unavailable',
      detail: { status: 503, notSent: true, stopping: true },
    });
    expect(d3.closeCalls()).toHaveLength(1);
    expect(slept).toEqual([]);
  });

  it('retries a refused connection with growing waits until the deadline, then reports d3_unreachable', async () => {
    const { gateway, slept } = setup({ baseUrl: `http://127.0.0.1:${await closedPort()}/d3`, retryDeadlineMs: 3_000 });
    expect(await rejection(gateway.closeIncident(cmd()))).toMatchObject({
      code: 'd3_unreachable',
      detail: { notSent: true },
    });
    expect(slept.length).toBeGreaterThanOrEqual(3);
    expect(slept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(3_000);
    expect(slept).toEqual([...slept].sort((a, b) => a - b));
  });

  it('gives up on 429 at the deadline with d3_rate_limited', async () => {
    const { gateway } = setup({ retryDeadlineMs: 2_500 });
    const limited = { status: 429, fixture: '429.json', headers: { 'retry-after': '1' } };
    d3.script('close', limited, limited, limited, limited);
    expect(await rejection(gateway.closeIncident(cmd()))).toMatchObject({ code: 'd3_rate_limited' });
    expect(d3.closeCalls()).toHaveLength(3);
  });

  it('does not retry a 401 and keeps the key out of the log', async () => {
    const { gateway, slept, lines } = setup({ apiKey: 'wrong-key-0000' });
    expect(await rejection(gateway.closeIncident(cmd()))).toMatchObject({ code: 'd3_unauthorized' });
    expect(d3.closeCalls()).toHaveLength(1);
    expect(slept).toEqual([]);
    const logged = JSON.stringify(lines);
    expect(logged).toContain('d3_unauthorized');
    expect(logged).not.toContain('wrong-key-0000');
    expect(logged).not.toContain(NOTE);
  });

  it('does not retry a rejection D3 explains', async () => {
    const { gateway } = setup();
    d3.script('close', { fixture: 'close-error.json' });
    expect(await rejection(gateway.closeIncident(cmd()))).toMatchObject({
      code: 'd3_rejected',
      detail: { d3Message: 'Incident not found' },
    });
    expect(d3.closeCalls()).toHaveLength(1);
  });
});

describe('D3 gateway when the outcome is unknown', () => {
  it('reads the state after a timeout and confirms the close D3 made, without a second close', async () => {
    const { gateway } = setup({ timeoutMs: 150 });
    d3.script('close', { delayMs: 600 });
    await expect(gateway.closeIncident(cmd())).resolves.toEqual({
      incidentNumber: N,
      site: 'Blue Team',
      note: NOTE,
      closeType: 'Closed',
      closedBy: 'jdoe',
      closeDate: expect.stringMatching(/^[A-Z][a-z]{2} \d{1,2}, \d{4} \d\d:\d\d China Standard Time$/),
    });
    expect(d3.closeCalls()).toHaveLength(1);
    expect(stateCalls()).toHaveLength(1);
  });

  it('sends exactly one more close when the state still shows the incident open', async () => {
    const { gateway } = setup({ timeoutMs: 150 });
    d3.script('close', { delayMs: 600, acts: false });
    d3.script('state', { fixture: 'state-open.json' });
    await expect(gateway.closeIncident(cmd())).resolves.toMatchObject({ closedBy: 'Jordan Vale' });
    expect(d3.closeCalls()).toHaveLength(2);
  });

  it('reports d3_outcome_unknown when the state cannot be read either', async () => {
    const { gateway } = setup({ timeoutMs: 150 });
    d3.script('close', { delayMs: 600 });
    d3.script('state', { status: 401, fixture: '401.json' });
    expect(await rejection(gateway.closeIncident(cmd()))).toMatchObject({ code: 'd3_outcome_unknown' });
    expect(d3.closeCalls()).toHaveLength(1);
  });

  it('reports d3_outcome_unknown when the retried close times out again', async () => {
    const { gateway } = setup({ timeoutMs: 150 });
    d3.script('close', { delayMs: 600, fixture: 'close-error.json' }, { delayMs: 600, fixture: 'close-error.json' });
    d3.script('state', { fixture: 'state-open.json' });
    expect(await rejection(gateway.closeIncident(cmd()))).toMatchObject({ code: 'd3_outcome_unknown' });
    expect(d3.closeCalls()).toHaveLength(2);
  });

  it('treats a connection cut mid-reply as unknown and trusts the state', async () => {
    const { gateway } = setup();
    d3.script('close', { destroy: 'mid-reply' });
    await expect(gateway.closeIncident(cmd())).resolves.toMatchObject({ closedBy: 'jdoe', closeType: 'Closed' });
    expect(d3.closeCalls()).toHaveLength(1);
  });

  it('treats a 500 as unknown rather than retrying the close blindly', async () => {
    const { gateway } = setup();
    d3.script('close', { status: 500, fixture: '500.json' });
    await expect(gateway.closeIncident(cmd())).resolves.toMatchObject({ closedBy: 'Jordan Vale' });
    expect(d3.closeCalls()).toHaveLength(2);
    expect(stateCalls()).toHaveLength(1);
  });
});

describe('D3 gateway credits a closure only with proof', () => {
  const queued = { body: { error: '', returnData: 'Queued' } };

  it('reports an unproven answer with D3’s words when D3 shows the incident still open, without closing again', async () => {
    const { gateway } = setup();
    d3.script('close', queued);
    expect(await rejection(gateway.closeIncident(cmd()))).toMatchObject({
      code: 'd3_still_open',
      detail: { d3Message: 'Queued' },
    });
    expect(d3.closeCalls()).toHaveLength(1);
    expect(stateCalls()).toHaveLength(1);
  });

  it('credits an unproven answer when D3 shows the incident closed by this user since the first call', async () => {
    const { gateway } = setup();
    d3.script('close', { ...queued, acts: true });
    await expect(gateway.closeIncident(cmd())).resolves.toMatchObject({ closedBy: 'jdoe', closeType: 'Closed' });
    expect(d3.closeCalls()).toHaveLength(1);
  });

  it('keeps D3’s words and says the state could not be read when the check fails', async () => {
    const { gateway } = setup();
    d3.script('close', queued);
    d3.script('state', { status: 401, fixture: '401.json' });
    expect(await rejection(gateway.closeIncident(cmd()))).toMatchObject({
      code: 'd3_outcome_unknown',
      detail: { d3Answered: true, stateUnread: true, d3Message: 'Queued' },
    });
    expect(d3.closeCalls()).toHaveLength(1);
  });

  it('checks the state after an unreadable 200 instead of giving up, and does not send it again', async () => {
    const { gateway } = setup();
    d3.script('close', { fixture: 'html-error.html' });
    expect(await rejection(gateway.closeIncident(cmd()))).toMatchObject({ code: 'd3_still_open' });
    expect(d3.closeCalls()).toHaveLength(1);
    expect(stateCalls()).toHaveLength(1);
  });

  it('names who closed it and when when D3 shows it closed days before this request', async () => {
    const { gateway } = setup({ timeoutMs: 150 });
    d3.incidents.set(N, { status: 'Closed', closedBy: 'Pat Lee', dateClosed: '2020-05-20 08:15:00' });
    d3.script('close', { delayMs: 600 });
    expect(await rejection(gateway.closeIncident(cmd()))).toMatchObject({
      code: 'closed_by_other',
      detail: { closedBy: 'Pat Lee', dateClosed: '2020-05-20 08:15:00' },
    });
    expect(d3.closeCalls()).toHaveLength(1);
  });

  it('credits its own late close when the second call finds the incident already closed', async () => {
    const { gateway } = setup({ timeoutMs: 150 });
    d3.script('close', { delayMs: 600 });
    d3.script('state', { fixture: 'state-open.json' });
    const closure = await gateway.closeIncident(cmd());
    expect(closure).toMatchObject({ closedBy: 'jdoe', closeType: 'Closed' });
    expect(closure.alreadyClosed).toBeUndefined();
    expect(d3.closeCalls()).toHaveLength(2);
    expect(stateCalls()).toHaveLength(2);
  });

  it('credits nothing from the state when the bot saw the incident closed moments ago', async () => {
    const { gateway } = setup({ timeoutMs: 150 });
    d3.script('close', { delayMs: 600 });
    expect(await rejection(gateway.closeIncident({ ...cmd(), closedRecently: true }))).toMatchObject({
      code: 'closed_unconfirmed',
      detail: { closedBy: 'jdoe' },
    });
  });

  it('sends no close once the incident lock is lost, and credits nothing from the state', async () => {
    const { gateway } = setup({ timeoutMs: 150 });
    const lost = new AbortController();
    lost.abort();
    expect(await rejection(gateway.closeIncident({ ...cmd(), signal: lost.signal }))).toMatchObject({
      code: 'lock_lost',
    });
    expect(d3.closeCalls()).toHaveLength(0);

    const later = new AbortController();
    d3.script('close', { delayMs: 600, acts: false });
    d3.script('state', { fixture: 'state-open.json' });
    const closing = gateway.closeIncident({ ...cmd('INC-2'), signal: later.signal });
    await new Promise((r) => setTimeout(r, 50));
    later.abort();
    expect(await rejection(closing)).toMatchObject({ code: 'lock_lost' });
    expect(d3.closeCalls()).toHaveLength(1);
  });
});

describe('D3 gateway on an incident that was already closed', () => {
  it('answers already closed with who closed it, from the state', async () => {
    const { gateway } = setup();
    d3.incidents.set(N, { status: 'Closed', closedBy: 'Avery Stone', dateClosed: '2020-05-25 08:00:00' });
    d3.script('close', { fixture: 'close-already-closed.json' });
    await expect(gateway.closeIncident(cmd())).resolves.toEqual({
      incidentNumber: N,
      site: 'Blue Team',
      note: NOTE,
      alreadyClosed: true,
      closedBy: 'Avery Stone',
      closeDate: '2020-05-25 08:00:00',
    });
  });

  it('still answers already closed, marked partial, when the state call fails', async () => {
    const { gateway } = setup();
    d3.script('close', { fixture: 'close-already-closed.json' });
    d3.script('state', { status: 503, fixture: '503.json' });
    await expect(gateway.closeIncident(cmd())).resolves.toMatchObject({ alreadyClosed: true, partial: true });
  });
});

describe('D3 gateway rate limit', () => {
  it('starts no more than 5 calls in any second, evenly spaced, so 20 calls take at least 3 seconds', async () => {
    const clock = virtualClock();
    const starts: number[] = [];
    const { gateway } = setup({
      limiter: createRateLimiter({ maxRps: 5, queueMax: 100, clock }),
      wrap: (c) => ({
        ...c,
        close: (x) => {
          starts.push(clock.now());
          return c.close(x);
        },
      }),
    });
    let settled = 0;
    const all = Array.from({ length: 20 }, (_, i) => gateway.closeIncident(cmd(`INC-${i}`)).finally(() => settled++));
    expect(gateway.queueDepth()).toBe(19);
    while (settled < 20) {
      await new Promise((r) => setTimeout(r, 5));
      clock.advance(100);
    }
    await expect(Promise.all(all)).resolves.toHaveLength(20);
    expect(d3.closeCalls()).toHaveLength(20);
    expect(Math.max(...starts)).toBeGreaterThanOrEqual(3_000);
    for (let i = 5; i < starts.length; i++)
      expect((starts[i] ?? 0) - (starts[i - 5] ?? 0)).toBeGreaterThanOrEqual(1_000);
    for (let i = 1; i < starts.length; i++) expect((starts[i] ?? 0) - (starts[i - 1] ?? 0)).toBeGreaterThanOrEqual(200);
  });

  it('refuses at once with queue_full when the queue is full, without calling D3', async () => {
    const clock = virtualClock();
    const { gateway } = setup({ limiter: createRateLimiter({ maxRps: 1, queueMax: 1, clock }) });
    const first = gateway.closeIncident(cmd('INC-1'));
    const second = gateway.closeIncident(cmd('INC-2'));
    expect(await rejection(gateway.closeIncident(cmd('INC-3')))).toMatchObject({ code: 'queue_full' });
    expect(gateway.queueDepth()).toBe(1);
    await first;
    clock.advance(1_100);
    await second;
    expect(
      d3.requests().map((r) => (r.body as { CommandParams: Record<string, string> }).CommandParams['Incident Number']),
    ).toEqual(['INC-1', 'INC-2']);
  });

  it('answers every waiting caller when the gateway is destroyed', async () => {
    const clock = virtualClock();
    const { gateway } = setup({ limiter: createRateLimiter({ maxRps: 1, queueMax: 5, clock }) });
    const first = gateway.closeIncident(cmd('INC-1'));
    const waiting = gateway.closeIncident(cmd('INC-2'));
    await first;
    const refused = rejection(waiting);
    await gateway.destroy();
    expect(await refused).toMatchObject({ code: 'd3_unavailable', detail: { reason: 'shutting down' } });
    expect(d3.closeCalls()).toHaveLength(1);
  });
});
