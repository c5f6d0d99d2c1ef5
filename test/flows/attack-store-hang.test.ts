import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';
import { type RedisServer, redisAvailable, startRedis } from '../support/redis.ts';
import { type PartitionableRedisProxy, partitionableRedisProxy } from '../support/redis-proxy.ts';

// Attack on "a confirmed closure survives a store outage" (issue 7.4) with the outage that does not
// refuse connections: Redis stops answering while its socket stays open (a network partition that
// drops packets, a paused VM, a long fork). Nothing fails fast; every store call just waits.
const N = '20200526-23';

describe.skipIf(!redisAvailable())('attack: Redis stops answering while D3 is closing the incident', () => {
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
  });

  it('still tells the analyst and posts the summary, instead of waiting on the store forever', async () => {
    redis = await startRedis();
    if (!redis) throw new Error('redis-server is required here');
    proxy = await partitionableRedisProxy(new URL(redis.url));
    h = await startHarness({ env: { STORE_URL: proxy.url } });
    h.d3.script('close', { fixture: 'close-ok.json', delayMs: 600 });
    await h.command({ text: `${N} False positive` });
    await h.slack.waitFor(() => h!.d3.closeCalls().length === 1);
    proxy.freeze();

    await h.slack.waitFor(() => h!.slack.responses().length === 1, 25_000);
    expect((h.slack.responses()[0] as { text: string }).text).toContain(`Closed ${N} in D3`);
    expect(h.slack.messages('C1234').filter((m) => String(m.text).includes(N))).toHaveLength(1);
  }, 40_000);
});
