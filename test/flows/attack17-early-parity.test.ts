/**
 * Attack on c08e3e2 ("a plain close typed in the command is run before Bolt"): the early path (HTTP,
 * earlyCloseAnswer) and Bolt's listener (Socket Mode) must read the same to the analyst in the
 * situations test/flows/early-close.test.ts does not cover: the store slow or failing at the moment of
 * the write, a response_url that hangs or redirects, D3 answering 500 (unknown outcome, state read), a
 * graceful stop while the close waits for D3, two closes of one incident at once. Compared: the
 * acknowledgements, what lands on each response_url, DMs, D3's calls, the channel posts, the log lines
 * (level and message), the ack histogram's count and the closures counter.
 *
 * Real parts: the app over HTTP or over a Socket Mode WebSocket, fake D3 and fake Slack as servers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/domain/ports.ts';
import { slashCommandPayload } from '../support/fixtures.ts';
import { type Harness, startHarness } from '../support/harness.ts';

type Mode = 'http' | 'socket';
const N = '20200526-23';

let harnesses: Harness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.map((h) => h.stop()));
  harnesses = [];
});

async function start(mode: Mode, wrapStore?: (s: Store) => Store): Promise<Harness> {
  const env: Record<string, string> =
    mode === 'socket' ? { SLACK_APP_TOKEN: 'xapp-test-token', SLACK_SIGNING_SECRET: '' } : {};
  const h = await startHarness({ env, runtime: { slackTimeoutMs: 1_000, wrapStore } });
  harnesses.push(h);
  if (mode === 'socket') await h.slack.waitFor(() => h.slack.socket.connected() === 1);
  return h;
}

let triggers = 0;
/** The acknowledgement as the analyst reads it, whichever way it came. */
async function typeClose(h: Harness, mode: Mode, text: string, responseId: string): Promise<unknown> {
  const response_url = h.slack.responseUrl(responseId);
  const trigger_id = `7012345678901.4412345678.${(++triggers).toString(16).padStart(8, '0')}`;
  if (mode === 'socket') {
    const payload = slashCommandPayload('close-command.form', { text, response_url, trigger_id });
    return (await h.slack.socket.send('slash_commands', payload, { timeoutMs: 5_000 })).payload;
  }
  const res = await h.command({ text, response_url, trigger_id });
  expect(res.status).toBe(200);
  return res.text === '' ? {} : (res.json ?? { text: res.text });
}

const metricLines = async (h: Harness) =>
  (await h.bot.metrics.registry.metrics())
    .split('\n')
    .filter((l) => /^close_incident_(ack_seconds_count|closures_total)/.test(l));

/** Log lines as level and message, without the transport's own (Socket Mode's connection, start-up). */
const logLines = (h: Harness) =>
  h
    .logs()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { level: number; msg: string })
    .filter((l) => !/socket|ready|connect/i.test(l.msg))
    .map((l) => `${l.level} ${l.msg}`)
    .sort();

async function seen(h: Harness, ids: string[], stopped: boolean) {
  const toUser = (c: { args: Record<string, unknown> }) => /^[UD]/.test(String(c.args.channel));
  return {
    responses: Object.fromEntries(ids.map((id) => [id, h.slack.responses(id)])),
    dms: h.slack
      .calls('chat.postMessage')
      .filter(toUser)
      .map((c) => c.args.text),
    posts: h.slack.calls('chat.postMessage').filter((c) => !toUser(c)).length,
    closeCalls: h.d3.closeCalls().length,
    stateReads: h.d3.callsOf('state').length,
    logs: logLines(h),
    metrics: stopped ? [] : await metricLines(h),
  };
}

/** Runs `act` in each mode against the same scripts; returns what the analyst and the operator saw. */
async function both(
  o: { wrapStore?: () => (s: Store) => Store; script?: (h: Harness) => void; stop?: boolean },
  act: (
    h: Harness,
    type: (text: string, id: string) => Promise<unknown>,
  ) => Promise<{ ids: string[]; acks: unknown[] }>,
) {
  const out: Record<Mode, unknown> = { http: undefined, socket: undefined };
  for (const mode of ['http', 'socket'] as const) {
    const h = await start(mode, o.wrapStore?.());
    o.script?.(h);
    const { ids, acks } = await act(h, (text, id) => typeClose(h, mode, text, id));
    if (o.stop) await h.stop({ keepFakes: true });
    // Anything else that would follow (a second reply, a retried post) has had its moment.
    else await new Promise((r) => setTimeout(r, 400));
    out[mode] = { acks, ...(await seen(h, ids, o.stop === true)) };
  }
  return out as Record<Mode, Awaited<ReturnType<typeof seen>> & { acks: unknown[] }>;
}

/** The close's own stored write (its queue claim) waits `ms`, then goes through or fails. */
const queueWrite =
  (ms: number, fail = false) =>
  (s: Store): Store => ({
    ...s,
    locks: {
      ...s.locks,
      acquire: async (key, holder, ttl) => {
        if (key.startsWith('queue:')) {
          await new Promise((r) => setTimeout(r, ms));
          if (fail) throw new Error('store unavailable (test)');
        }
        return s.locks.acquire(key, holder, ttl);
      },
    },
  });

const one = async (h: Harness, type: (text: string, id: string) => Promise<unknown>, until: () => boolean) => {
  const ack = await type(`${N} benign scanner`, 'r1');
  await h.slack.waitFor(until, 10_000);
  return { ids: ['r1'], acks: [ack] };
};

describe('attack17: a typed close reads the same before Bolt (HTTP) and through it (Socket Mode)', () => {
  it('the store slower than the 1.5 s the acknowledgement waits: "Closing…" anyway, then the outcome in place', async () => {
    const { http, socket } = await both({ wrapStore: () => queueWrite(2_000) }, (h, type) =>
      one(h, type, () => h.slack.responses('r1').length === 1),
    );
    expect(http.acks).toEqual([{ text: `Closing ${N}…` }]);
    expect(http.logs).toContain('40 store slow: close acknowledged before it was stored');
    expect(http.metrics).toContain('close_incident_ack_seconds_count 1');
    expect(http).toEqual(socket);
  });

  it('the store failing at the write: the close runs in memory, told the same way', async () => {
    const { http, socket } = await both({ wrapStore: () => queueWrite(0, true) }, (h, type) =>
      one(h, type, () => h.slack.responses('r1').length === 1),
    );
    expect(http.logs).toContain('40 close not stored; it runs in memory only and is lost if this instance dies');
    expect(JSON.stringify(http.responses)).toContain(`Closed ${N} in D3`);
    expect(http).toEqual(socket);
  });

  it('a response_url that redirects (a proxy, an expired hook): the same DM, never a second close', async () => {
    const redirect = { status: 302, headers: { location: 'http://127.0.0.1:9/elsewhere' } };
    const { http, socket } = await both(
      { script: (h) => h.slack.script('response_url', redirect, redirect) },
      (h, type) => one(h, type, () => h.slack.calls('chat.postMessage').length === 2),
    );
    expect(http.dms).toEqual([expect.stringContaining(`Closed ${N} in D3`)]);
    expect(http.closeCalls).toBe(1);
    expect(http).toEqual(socket);
  });

  it('D3 answers 500: the unknown outcome is read from D3 the same way, and said the same way', async () => {
    const { http, socket } = await both(
      { script: (h) => h.d3.script('close', { status: 500, fixture: '500.json' }) },
      (h, type) => one(h, type, () => h.slack.responses('r1').length === 1),
    );
    expect(http.stateReads).toBeGreaterThan(0);
    expect(http).toEqual(socket);
  });

  it('a graceful stop while the close waits for D3: the stop waits for it, and the outcome is told', async () => {
    const { http, socket } = await both(
      { script: (h) => h.d3.script('close', { fixture: 'close-ok.json', delayMs: 1_500 }), stop: true },
      async (h, type) => {
        const ack = await type(`${N} benign scanner`, 'r1');
        await h.slack.waitFor(() => h.d3.closeCalls().length === 1);
        return { ids: ['r1'], acks: [ack] };
      },
    );
    expect(JSON.stringify(http.responses.r1)).toContain(`Closed ${N} in D3`);
    expect(http.posts).toBe(1);
    expect(http.logs.join('\n')).not.toContain('abandoned');
    expect(http).toEqual(socket);
  });

  it('two closes of one incident at once: one D3 call, the other told who is closing it', async () => {
    const { http, socket } = await both(
      { script: (h) => h.d3.script('close', { fixture: 'close-ok.json', delayMs: 500 }) },
      async (h, type) => {
        const acks = await Promise.all([type(`${N} first`, 'a'), type(`${N} second`, 'b')]);
        await h.slack.waitFor(() => h.slack.responses('a').length + h.slack.responses('b').length === 2, 10_000);
        return { ids: ['a', 'b'], acks };
      },
    );
    expect(http.closeCalls).toBe(1);
    const told = JSON.stringify(http.responses);
    expect(told).toContain(`Closed ${N} in D3`);
    expect(told).toContain(`is already closing ${N}`);
    // Which of the two won may differ between runs; what each kind of answer says may not.
    const sorted = (s: typeof http) => ({
      ...s,
      responses: Object.values(s.responses)
        .flat()
        .map((r) => JSON.stringify(r))
        .sort(),
    });
    expect(sorted(http)).toEqual(sorted(socket));
  });
});
