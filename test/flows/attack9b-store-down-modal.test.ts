import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';
import { type RedisServer, redisAvailable, startRedis } from '../support/redis.ts';

// Attack on "exactly one acknowledgement and one outcome per close on every path, store down included".
// The command's response_url gets the app's unexpected-error reply when a listener throws; a form
// submission has no response_url, so the analyst whose close the store could not take must be told
// by the listener itself (ephemeral, else DM), not left with the form closed and nothing said.
describe.skipIf(!redisAvailable())('attack9b: a close from the form while the store (Redis) is down', () => {
  let redis: RedisServer | undefined;
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    await redis?.stop();
    h = undefined;
    redis = undefined;
  });

  it('closes the form and tells the analyst once what happened', async () => {
    redis = await startRedis();
    if (!redis) throw new Error('redis-server is required here');
    h = await startHarness({ env: { STORE_URL: redis.url } });
    await redis.stop();
    redis = undefined;

    const res = await h.submit({ values: { incident: '20200526-23', note: 'Benign scanner' } });
    expect(res.status).toBe(200);
    const told = () => [...h!.slack.calls('chat.postEphemeral'), ...h!.slack.calls('chat.postMessage')];
    await h.slack.waitFor(() => told().length >= 1, 15_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(told()).toHaveLength(1);
    expect(String(told()[0]?.args.text)).toContain('20200526-23');
  }, 30_000);
});
