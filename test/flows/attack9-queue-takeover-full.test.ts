import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
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

const each = 8;
const number = (i: number) => `20261203-${i}`;

/**
 * Attack on "no acknowledged close is dropped" with "no close answered 'Closing…' is refused later for a
 * full queue": each instance keeps its own D3 queue under D3_QUEUE_MAX, but a survivor taking over a dead
 * instance's closes on top of its own must not push its queue over and refuse the closes it took over.
 */
describe.skipIf(!redisAvailable())('taking over more closes than the D3 queue has room for', () => {
  let d3: FakeD3;
  let slack: FakeSlack;
  let dir: string;
  let redis: RedisServer | undefined;
  let child: ChildApp | undefined;
  let other: Harness | undefined;

  afterEach(async () => {
    if (child && child.proc.exitCode === null && child.proc.signalCode === null) child.kill('SIGKILL');
    await child?.exited;
    await other?.stop({ keepFakes: true });
    await Promise.all([d3.stop(), slack.stop()]);
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('Redis: every close acknowledged by either instance is closed and told, none refused as busy', async () => {
    redis = await startRedis();
    if (!redis) throw new Error('redis-server is required here');
    d3 = await startFakeD3({ apiKey: d3Key });
    slack = await startFakeSlack({ botToken });
    dir = mkdtempSync(join(tmpdir(), 'close-incident-full-'));
    const userMapFile = join(dir, 'users.yml');
    writeFileSync(userMapFile, defaultUserMap);
    const env = harnessEnv({
      d3Url: d3.url,
      slackApiUrl: slack.apiUrl,
      userMapFile,
      STORE_URL: redis.url,
      D3_MAX_RPS: '1',
      D3_QUEUE_MAX: String(each + 1),
      OUTBOX_INTERVAL_MS: '300',
      OUTBOX_CLAIM_TTL_MS: '2000',
    });
    other = await startHarness({ d3, slack, env });
    child = await startChildApp(env);
    const send = (url: string, i: number) =>
      postSigned(
        url,
        slashCommandBody('close-command.form', {
          user_id: 'U1234',
          text: `${number(i)} queued close ${i}`,
          response_url: slack.responseUrl(`r${i}`),
          trigger_id: `${Date.now()}.4412345678.t${i}`,
        }),
        { secret: signingSecret },
      );
    const acks = await Promise.all([
      ...Array.from({ length: each }, (_, i) => send(child!.eventsUrl, i)),
      ...Array.from({ length: each }, (_, i) => send(other!.eventsUrl, each + i)),
    ]);
    expect(acks.map((a) => a.status)).toEqual(Array(2 * each).fill(200));
    expect(acks.map((a) => a.text).join('\n')).not.toMatch(/busy/i);
    await slack.waitFor(() => d3.closeCalls().length >= 1, 10_000);
    child.kill('SIGKILL');
    await child.exited;

    const told = (i: number) => JSON.stringify(slack.responses(`r${i}`));
    await slack
      .waitFor(() => Array.from({ length: 2 * each }, (_, i) => told(i)).every((t) => t.includes('in D3')), 40_000)
      .catch(() => {});
    for (let i = 0; i < 2 * each; i++) expect(told(i), number(i)).toContain(`Closed ${number(i)} in D3`);
    expect(new Set(d3.closeCalls().map((c) => JSON.stringify(c.body))).size).toBe(2 * each);
  }, 60_000);
});
