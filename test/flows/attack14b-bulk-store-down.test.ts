/**
 * Promise broken: "every path ends in a message". With the store down (Redis stopped), a bulk close
 * threw out of the use case (the identity's override read, before its de-duplication): after a command
 * app.error answered on the response_url, but the form has none, so the analyst was left with
 * "Closing 3 incidents…" and nothing after it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMetadataSealer } from '../../src/slack/metadata.ts';
import { botToken, type Harness, startHarness } from '../support/harness.ts';
import { type RedisServer, redisAvailable, startRedis } from '../support/redis.ts';

const NUMBERS = ['20200526-23', '20200526-24', '20200526-31'];

describe.skipIf(!redisAvailable())('a bulk close from the form while the store is down', () => {
  let redis: RedisServer | undefined;
  let h: Harness;
  beforeEach(async () => {
    redis = await startRedis();
    if (!redis) throw new Error('redis-server is required here');
    h = await startHarness({ env: { STORE_URL: redis.url } });
  });
  afterEach(async () => {
    await h.stop();
    await redis?.stop();
  });

  const toAnalyst = () => h.slack.calls('chat.postEphemeral').map((c) => String(c.args.text));

  it('sends nothing to D3 and tells the analyst to check each incident in D3, with a reference', async () => {
    await redis!.stop();
    redis = undefined;
    const res = await h.submit({
      privateMetadata: createMetadataSealer(botToken).seal({ channel: 'C1234' })!,
      values: { incident: NUMBERS.join('\n'), note: 'storm' },
    });
    expect(res.status).toBe(200);
    // Its final answer (a "Closing 3 incidents…" before it only if the store took over 1.5 s to fail).
    await h.slack.waitFor(() => toAnalyst().some((t) => t.startsWith('Something went wrong')), 15_000);

    const told = toAnalyst().at(-1) ?? '';
    console.log(`[attack14b] D3 close calls: ${h.d3.closeCalls().length}; told: ${JSON.stringify(toAnalyst())}`);
    expect(h.d3.closeCalls()).toHaveLength(0);
    expect(told).toMatch(
      /^Something went wrong inside the bot \(reference [0-9a-f-]{36}\), so some or all of these 3 incidents may not have been closed\. Check each in D3/,
    );
    expect(told).not.toMatch(/already received|\d closed|already closed/);
  }, 30_000);
});
