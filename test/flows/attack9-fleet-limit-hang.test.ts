import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';
import { type RedisServer, redisAvailable, startRedis } from '../support/redis.ts';
import { type PartitionableRedisProxy, partitionableRedisProxy } from '../support/redis-proxy.ts';

// Attack on "D3 is never called faster than D3_MAX_RPS … by the whole fleet" when the budget's Redis
// connection stops answering while its socket stays open (a partition, a paused VM). The store's own
// connection still answers, so the close gets as far as the limiter.
const N = '20200526-41';

describe.skipIf(!redisAvailable())('attack: the fleet budget (Redis) stops answering', () => {
  let redis: RedisServer | undefined;
  let proxy: PartitionableRedisProxy | undefined;
  let h: Harness | undefined;
  afterEach(async () => {
    await proxy?.stop();
    await h?.stop();
    await redis?.stop();
    h = undefined;
    proxy = undefined;
    redis = undefined;
  }, 60_000);

  it('the close is not sent over an unread budget, and the analyst is told instead of waiting forever', async () => {
    redis = await startRedis();
    if (!redis) throw new Error('redis-server is required here');
    proxy = await partitionableRedisProxy(new URL(redis.url));
    h = await startHarness({ env: { STORE_URL: proxy.url, D3_RETRY_DEADLINE_MS: '5000' } });
    proxy.freezeWhen((d) => d.includes('ci:d3:next-slot'));
    const ack = await h.command({ text: `${N} False positive` });
    expect(ack.status).toBe(200);

    await h.slack.waitFor(() => h!.slack.responses().length >= 1, 30_000).catch(() => {});
    expect(h.d3.closeCalls()).toHaveLength(0);
    const told = JSON.stringify(h.slack.responses());
    expect(told).toContain(N);
    expect(told).not.toContain(`Closed ${N} in D3`);
    // And a graceful stop still ends while the budget's connection hangs.
    await h.stop();
    h = undefined;
  }, 45_000);
});
