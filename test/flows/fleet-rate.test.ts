import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeD3, startFakeD3 } from '../support/fake-d3.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { botToken, d3Key, type Harness, startHarness } from '../support/harness.ts';
import { type RedisServer, redisAvailable, startRedis } from '../support/redis.ts';

/** Most D3 requests that arrived within any one-second window [t, t + 1000). */
function maxPerSlidingSecond(times: number[]): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < t.length; j++) {
    while ((t[j] ?? 0) - (t[i] ?? 0) >= 1000) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

describe.skipIf(!redisAvailable())('one D3 budget for the fleet (STORE_URL=redis://)', () => {
  let redis: RedisServer;
  let d3: FakeD3;
  let slack: FakeSlack;
  const fleet: Harness[] = [];

  beforeAll(async () => {
    const started = await startRedis();
    if (!started) throw new Error('redis-server is required here');
    redis = started;
    d3 = await startFakeD3({ apiKey: d3Key });
    slack = await startFakeSlack({ botToken });
  });
  afterAll(async () => {
    await Promise.all(fleet.splice(0).map((h) => h.stop({ keepFakes: true })));
    await Promise.all([d3?.stop(), slack?.stop()]);
    await redis?.stop();
  });

  it('three instances closing 150 incidents never send D3 more than D3_MAX_RPS in any sliding second', async () => {
    const env = { STORE_URL: redis.url, D3_MAX_RPS: '20', LOG_LEVEL: 'warn' };
    for (let i = 0; i < 3; i++) fleet.push(await startHarness({ d3, slack, env }));
    const total = 150;
    const acks = await Promise.all(
      Array.from({ length: total }, (_, i) =>
        fleet[i % 3]!.command({
          user_id: 'U1234',
          text: `20261202-${i} fleet close ${i}`,
          response_url: slack.responseUrl(`f${i}`),
          trigger_id: `7012345678901.4412345678.fleet${i}`,
        }),
      ),
    );
    expect(acks.map((a) => a.status)).toEqual(Array(total).fill(200));
    await slack.waitFor(() => slack.responses().length === total, 30_000);

    expect(d3.closeCalls()).toHaveLength(total);
    expect(slack.responses().every((r) => JSON.stringify(r).includes('in D3'))).toBe(true);
    expect(maxPerSlidingSecond(d3.requests().map((r) => r.at))).toBeLessThanOrEqual(20);
  }, 60_000);
});
