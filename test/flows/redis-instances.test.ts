import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@keyv/redis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/domain/ports.ts';
import { createStore } from '../../src/store/keyv-store.ts';
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

describe.skipIf(!redisAvailable())('two app instances on one Redis', () => {
  let redis: RedisServer;
  let admin: ReturnType<typeof createClient>;
  let d3: FakeD3;
  let slack: FakeSlack;
  let dir: string;
  const running: Harness[] = [];
  let child: ChildApp | undefined;
  let store: Store | undefined;

  beforeAll(async () => {
    const started = await startRedis();
    if (!started) throw new Error('redis-server is required here');
    redis = started;
    admin = createClient({ url: redis.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.close();
    await redis?.stop();
  });
  beforeEach(async () => {
    await admin.flushDb();
    dir = mkdtempSync(join(tmpdir(), 'close-incident-redis-'));
    d3 = await startFakeD3({ apiKey: d3Key });
    slack = await startFakeSlack({ botToken });
  });
  afterEach(async () => {
    if (child && child.proc.exitCode === null && child.proc.signalCode === null) {
      child.kill('SIGKILL');
      await child.exited;
    }
    child = undefined;
    await store?.close();
    store = undefined;
    await Promise.all(running.splice(0).map((h) => h.stop()));
    await Promise.all([d3.stop(), slack.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const instance = async (env: Record<string, string> = {}) => {
    const h = await startHarness({ d3, slack, env: { STORE_URL: redis.url, SLACK_ADMIN_USER_IDS: 'U5678', ...env } });
    running.push(h);
    return h;
  };

  it('uses on instance B a mapping an admin set through instance A', async () => {
    const [a, b] = [await instance(), await instance()];
    await a.command({
      user_id: 'U5678',
      text: 'map <@U0NEW|newbie> nnew Client B',
      response_url: slack.responseUrl('map'),
    });
    await slack.waitFor(() => slack.responses('map').length === 1);
    expect(JSON.stringify(slack.responses('map')[0])).toContain('nnew');

    await b.command({ user_id: 'U0NEW', text: '20200526-23 closed on B', response_url: slack.responseUrl('close') });
    await slack.waitFor(() => slack.calls('chat.postMessage').length === 1);
    expect(d3.closeCalls().map((c) => c.body)).toEqual([
      {
        Username: 'nnew',
        Site: 'Client B',
        CommandParams: { 'Incident Number': '20200526-23', 'Incident Note': 'closed on B' },
      },
    ]);
  });

  it('makes one D3 call for 20 simultaneous closes of one incident spread over both instances', async () => {
    const both = [await instance(), await instance()];
    d3.script('close', { fixture: 'close-ok.json', delayMs: 1500 });
    const acks = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        both[i % 2]!.command({
          user_id: i % 4 < 2 ? 'U1234' : 'U5678',
          text: `20200526-23 race ${i}`,
          trigger_id: `7012345678901.4412345678.race${i}`,
          response_url: slack.responseUrl(`r${i}`),
        }),
      ),
    );
    expect(acks.map((r) => r.status)).toEqual(Array(20).fill(200));

    await slack.waitFor(() => slack.responses().length === 20, 10_000);
    expect(d3.closeCalls()).toHaveLength(1);
    expect(slack.calls('chat.postMessage')).toHaveLength(1);
    const texts = slack.responses().map((r) => JSON.stringify(r));
    expect(texts.filter((t) => t.includes('is already closing 20200526-23'))).toHaveLength(19);

    const refusedOn = both.map((h) => h.logs().match(/close attempt: refused \(close_in_progress\)/g)?.length ?? 0);
    expect(refusedOn[0]! + refusedOn[1]!).toBe(19);
    expect(Math.min(...refusedOn)).toBeGreaterThanOrEqual(9);
  });

  it('posts, exactly once, a summary left pending by an instance killed mid-post', async () => {
    const userMapFile = join(dir, 'users.yml');
    writeFileSync(userMapFile, defaultUserMap);
    const env = harnessEnv({ d3Url: d3.url, slackApiUrl: slack.apiUrl, userMapFile, STORE_URL: redis.url });
    child = await startChildApp({ ...env, OUTBOX_CLAIM_TTL_MS: '3000' });
    const a = child;
    slack.script('chat.postMessage', { hang: true });
    const killed = new Promise<void>((resolve) => {
      slack.onRequest((call) => {
        if (call.method === 'chat.postMessage' && call.hang) {
          a.kill('SIGKILL');
          resolve();
        }
      });
    });

    const body = slashCommandBody('close-command.form', {
      text: '20200526-23 closed on A',
      response_url: slack.responseUrl('a'),
    });
    const ack = await postSigned(a.eventsUrl, body, { secret: signingSecret });
    expect(ack.status).toBe(200);
    await killed;
    expect(await a.exited).toBe('SIGKILL');

    expect(d3.closeCalls()).toHaveLength(1);
    expect(slack.hung('chat.postMessage')).toHaveLength(1);
    expect(slack.calls('chat.postMessage')).toHaveLength(0);
    expect(slack.responses('a')).toHaveLength(0);
    store = await createStore(redis.url);
    const pending = await store.outbox.list();
    expect(pending.map((p) => [p.closure.incidentNumber, p.channelId])).toEqual([['20200526-23', 'C1234']]);

    const b = await instance({ OUTBOX_INTERVAL_MS: '100', OUTBOX_CLAIM_TTL_MS: '1000' });
    await slack.waitFor(() => slack.calls('chat.postMessage').length === 1, 15_000);
    await until(async () => (await store!.outbox.list()).length === 0);
    expect(await store.outbox.list()).toEqual([]);
    await slack.waitFor(() => b.logs().includes('pending closure summaries posted'));

    const posts = slack.calls('chat.postMessage');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.args.channel).toBe('C1234');
    expect(posts[0]!.args.text).toEqual(expect.stringContaining('20200526-23'));
    expect(posts[0]!.args.text).toEqual(expect.stringContaining('<@U1234>'));
    expect(d3.closeCalls()).toHaveLength(1);
  });
});

async function until(predicate: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
