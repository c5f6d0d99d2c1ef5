/**
 * Promise broken: "every path a user can hit ends in one clear message" and "a close that throws after
 * its ack is still told".
 *
 * Since the card's click acks first and runs `decide` detached (block-actions.ts confirmClicked →
 * deps.detach), anything `decide` throws is only logged: it no longer reaches Bolt's error handler, which
 * used to POST "something went wrong" to the response_url. A Cancel spends the card's mark with
 * `store.locks.acquire`, unguarded. Observed: a Cancel clicked on a fresh card while the store does not
 * answer (Redis partitioned; store calls give up after 3 s) is acknowledged with a 200 and then nothing
 * at all reaches the analyst: no "Cancelled", no "something went wrong", no response_url POST.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { blockActionBody } from '../support/block-actions.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { type RedisServer, redisAvailable, startRedis } from '../support/redis.ts';
import { type PartitionableRedisProxy, partitionableRedisProxy } from '../support/redis-proxy.ts';

describe.skipIf(!redisAvailable())('attack11: Cancel on a confirmation card while the store is down', () => {
  let redis: RedisServer | undefined;
  let proxy: PartitionableRedisProxy | undefined;
  let h: Harness | undefined;
  afterEach(async () => {
    await proxy?.stop();
    await h?.stop();
    await redis?.stop();
  });

  it('tells the analyst something after the acknowledged Cancel', async () => {
    redis = await startRedis();
    if (!redis) throw new Error('redis-server is required here');
    proxy = await partitionableRedisProxy(new URL(redis.url));
    h = await startHarness({ env: { STORE_URL: proxy.url, CONFIRM_BEFORE_CLOSE: 'true' } });
    await h.command({ text: '20200526-23 benign scanner', response_url: h.slack.responseUrl('card') });
    await h.slack.waitFor(() => h!.slack.responses('card').length === 1, 8000);
    const shown = h.slack.responses('card')[0] as { blocks: Array<{ elements?: Array<Record<string, string>> }> };
    const cancel = shown.blocks.flatMap((b) => b.elements ?? []).find((b) => b.action_id === 'cancel_close')!.value!;

    proxy.freeze();
    const ack = await h.raw(
      blockActionBody('block-actions-confirm.json', {
        value: cancel,
        actionId: 'cancel_close',
        responseUrl: h.slack.responseUrl('cancel'),
      }),
    );
    expect(ack.status).toBe(200);
    // Store calls give up after 3 s; any answer (cancelled, or "something went wrong") counts.
    await h.slack.waitFor(() => h!.slack.responses('cancel').length >= 1, 15_000).catch(() => {});
    expect(h.d3.closeCalls()).toHaveLength(0);
    expect(h.slack.responses('cancel').length).toBe(1);
  }, 40_000);
});
