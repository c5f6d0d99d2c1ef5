import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ChildApp, startChildApp } from '../support/child-app.ts';
import { type FakeD3, startFakeD3 } from '../support/fake-d3.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { slashCommandBody } from '../support/fixtures.ts';
import {
  botToken,
  d3Key,
  defaultUserMap,
  type Harness,
  harnessEnv,
  signingSecret,
  startHarness,
} from '../support/harness.ts';
import { type RedisServer, redisAvailable, startRedis } from '../support/redis.ts';
import { postSigned } from '../support/sign.ts';

const closes = 100;
const number = (i: number) => `20261201-${i}`;

/**
 * 100 closes acknowledged ("Closing…") and waiting for D3 slots (D3_MAX_RPS=20) when their instance is
 * SIGKILLed: a restart (sqlite) or the other instance (Redis) finishes every one, with one close call
 * each at D3 and one outcome each on the analyst's response_url.
 */
describe('acknowledged closes survive their instance', () => {
  let d3: FakeD3;
  let slack: FakeSlack;
  let dir: string;
  let env: Record<string, string>;
  const children: ChildApp[] = [];
  const harnesses: Harness[] = [];
  let redis: RedisServer | undefined;

  beforeEach(async () => {
    d3 = await startFakeD3({ apiKey: d3Key });
    slack = await startFakeSlack({ botToken });
    dir = mkdtempSync(join(tmpdir(), 'close-incident-queue-'));
    const userMapFile = join(dir, 'users.yml');
    writeFileSync(userMapFile, defaultUserMap);
    env = harnessEnv({
      d3Url: d3.url,
      slackApiUrl: slack.apiUrl,
      userMapFile,
      D3_MAX_RPS: '20',
      OUTBOX_INTERVAL_MS: '300',
      // Long enough that a loaded machine's event-loop stalls never let a live claim lapse (renewed every
      // 2 s); a dead instance's claims still lapse well inside the test (sqlite's die with the process).
      OUTBOX_CLAIM_TTL_MS: '6000',
    });
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.proc.exitCode === null && c.proc.signalCode === null) c.kill('SIGKILL');
      await c.exited;
    }
    await Promise.all(harnesses.splice(0).map((h) => h.stop({ keepFakes: true })));
    await Promise.all([d3.stop(), slack.stop()]);
    await redis?.stop();
    redis = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (extra: Record<string, string> = {}) => {
    const child = await startChildApp({ ...env, ...extra });
    children.push(child);
    return child;
  };
  const sendAll = (child: ChildApp) =>
    Promise.all(
      Array.from({ length: closes }, (_, i) =>
        postSigned(
          child.eventsUrl,
          slashCommandBody('close-command.form', {
            user_id: 'U1234',
            text: `${number(i)} queued close ${i}`,
            response_url: slack.responseUrl(`r${i}`),
            trigger_id: `${Date.now()}.4412345678.q${i}`,
          }),
          { secret: signingSecret },
        ),
      ),
    );
  const waitForCloseCalls = (n: number, timeoutMs = 5_000) =>
    slack.waitFor(() => d3.closeCalls().length >= n, timeoutMs);

  /**
   * What the analyst sees on a response_url: a reply with replace_original takes the place of the one
   * before it ("Closing…" or an earlier outcome). A crash after Slack took the outcome but before the
   * stored close was removed has the close told again, in place: still one message.
   */
  const seen = (id: string) => {
    const shown: unknown[] = [];
    for (const r of slack.responses(id)) {
      if ((r as { replace_original?: boolean }).replace_original) shown.pop();
      shown.push(r);
    }
    return shown;
  };

  /** Every incident closed by exactly one call, and every analyst told the outcome exactly once. */
  async function expectAllFinished() {
    await slack.waitFor(
      () => Array.from({ length: closes }, (_, i) => slack.responses(`r${i}`).length).every((n) => n >= 1),
      100_000,
    );
    await new Promise((r) => setTimeout(r, 1_000)); // room for a second call or outcome to show
    const incidents = d3.closeCalls().map((c) => (c.body as { CommandParams: Record<string, string> }).CommandParams);
    expect(incidents).toHaveLength(closes);
    expect(new Set(incidents.map((p) => p['Incident Number'])).size).toBe(closes);
    for (let i = 0; i < closes; i++) {
      const told = seen(`r${i}`).map((r) => JSON.stringify(r));
      expect(told, `analyst of ${number(i)}`).toHaveLength(1);
      expect(told[0]).toContain(`Closed ${number(i)} in D3`);
    }
  }

  it('sqlite: the restart finishes all 100 after a SIGKILL, one close call and one outcome each', async () => {
    env.STORE_URL = `sqlite://${join(dir, 'q.sqlite')}`;
    const first = await start();
    const acks = await sendAll(first);
    expect(acks.map((a) => a.status)).toEqual(Array(closes).fill(200));
    await waitForCloseCalls(3);
    first.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const sentBefore = d3.closeCalls().length;
    expect(sentBefore).toBeLessThan(closes / 2);

    await start();
    await expectAllFinished();
  }, 150_000);

  it('sqlite: a graceful stop hands the waiting closes over, says so, and the restart finishes them', async () => {
    env.STORE_URL = `sqlite://${join(dir, 'h.sqlite')}`;
    const first = await start();
    await sendAll(first);
    await waitForCloseCalls(3);
    first.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toMatch(/"closes":\d+[^\n]*handed over/);
    // Those handed over were told so; their result comes from the restart, on the same response_url.
    const handed = Array.from({ length: closes }, (_, i) => i).filter((i) =>
      JSON.stringify(slack.responses(`r${i}`)).includes('restarting'),
    );
    expect(handed.length).toBeGreaterThan(closes / 2);

    await start();
    await slack.waitFor(() => d3.closeCalls().length === closes, 80_000);
    await slack.waitFor(() => handed.every((i) => slack.responses(`r${i}`).length === 2), 10_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(d3.closeCalls()).toHaveLength(closes);
    for (const i of handed) expect(JSON.stringify(slack.responses(`r${i}`)[1])).toContain(`Closed ${number(i)} in D3`);
  }, 150_000);

  it.skipIf(!redisAvailable())(
    'Redis: the other instance takes over all 100 after a SIGKILL, one close call and one outcome each',
    async () => {
      redis = await startRedis();
      if (!redis) throw new Error('redis-server is required here');
      env.STORE_URL = redis.url;
      const other = await startHarness({ d3, slack, env });
      harnesses.push(other);
      const dying = await start();
      const acks = await sendAll(dying);
      expect(acks.map((a) => a.status)).toEqual(Array(closes).fill(200));
      await waitForCloseCalls(3);
      // While the first instance lives, its claims keep the other one away.
      expect(other.logs()).not.toContain('taking over a queued close');
      dying.kill('SIGKILL');
      expect(await dying.exited).toBe('SIGKILL');

      await expectAllFinished();
      expect(other.logs()).toContain('taking over a queued close');
    },
    280_000,
  );
});
