/**
 * Promise broken: "The analyst learns the outcome even when the response_url refuses it (the same path as
 * a taken-over close: response_url, else a DM)" and "a close with the store down, or one that throws,
 * still ends in one message".
 *
 * A close the store did not take (held in memory: accept() runs it without the queue, so without the
 * request's `tell`) is answered only by the listener's `reply.settle` → respond(). When that POST is
 * refused, the rejection lands in `deps.detach`, which only logs it ("close failed after its
 * acknowledgement"): no DM fallback, and no longer Bolt's error handler either. Observed: Redis
 * partitioned, the response_url answering 404 (expired_url): the command is acknowledged "Closing…",
 * the close ends "something went wrong", and the analyst gets nothing at all (no DM, no ephemeral).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarnessBehindProxy } from '../support/card.ts';
import { startHarness } from '../support/harness.ts';
import { redisAvailable } from '../support/redis.ts';

describe.skipIf(!redisAvailable())('attack11: a close held in memory whose response_url refuses the outcome', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
  });

  it('still reaches the analyst by DM', async () => {
    const started = await startHarnessBehindProxy((url) => startHarness({ env: { STORE_URL: url } }));
    ({ stop } = started);
    const { h, proxy } = started;
    h.slack.outage('response_url', { status: 404, body: { ok: false, error: 'expired_url' } });
    const offered: string[] = [];
    h.slack.onRequest((c) => {
      if (c.method === 'response_url') offered.push(JSON.stringify(c.args));
    });
    proxy.freeze();
    const ack = await h.command({ text: '20200526-23 benign scanner' });
    expect(ack.status).toBe(200);
    // The outcome is offered to the response_url (refused) once the store calls have given up.
    await h.slack.waitFor(() => offered.length >= 1, 40_000).catch(() => {});
    await h.slack
      .waitFor(() => h.slack.calls('chat.postMessage').length + h.slack.calls('chat.postEphemeral').length >= 1, 10_000)
      .catch(() => {});
    const told = [...h.slack.calls('chat.postMessage'), ...h.slack.calls('chat.postEphemeral')].filter(
      (c) => c.args.channel === 'U1234' || c.args.user === 'U1234',
    );
    // The outcome was produced and offered to the response_url, which refused it.
    expect(offered.some((b) => /20200526-23/.test(b) && /went wrong/i.test(b))).toBe(true);
    expect(told).toHaveLength(1);
    expect(JSON.stringify(told[0]!.args)).toContain('20200526-23');
  }, 70_000);
});
