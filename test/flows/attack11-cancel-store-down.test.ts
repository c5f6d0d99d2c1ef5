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
import { clickCard, showCard, startHarnessBehindProxy } from '../support/card.ts';
import { startHarness } from '../support/harness.ts';
import { redisAvailable } from '../support/redis.ts';

describe.skipIf(!redisAvailable())('attack11: Cancel on a confirmation card while the store is down', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
  });

  it('tells the analyst something after the acknowledged Cancel', async () => {
    const started = await startHarnessBehindProxy((url) =>
      startHarness({ env: { STORE_URL: url, CONFIRM_BEFORE_CLOSE: 'true' } }),
    );
    ({ stop } = started);
    const { h, proxy } = started;
    const { cancel } = await showCard(h, '20200526-23 benign scanner', 'card');

    proxy.freeze();
    const ack = await clickCard(h, cancel, 'cancel_close', 'cancel');
    expect(ack.status).toBe(200);
    // Store calls give up after 3 s; any answer (cancelled, or "something went wrong") counts.
    await h.slack.waitFor(() => h.slack.responses('cancel').length >= 1, 15_000).catch(() => {});
    expect(h.d3.closeCalls()).toHaveLength(0);
    expect(h.slack.responses('cancel').length).toBe(1);
  }, 40_000);
});
