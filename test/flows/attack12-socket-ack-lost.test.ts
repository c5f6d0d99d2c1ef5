/**
 * Promise broken: "No acknowledged close is dropped … the analyst is told", and never a false answer, in
 * Socket Mode.
 *
 * A close is stored, then acknowledged (close-queue.ts accept). In Socket Mode the acknowledgement is a
 * WebSocket send, which throws while the socket is reconnecting (Slack's "disconnect" message, a network
 * blip). That throw left the stored close unrun, under the claim its instance took for it, and reached
 * Bolt's error handler: the analyst was told "Something went wrong … check it in D3 before trying again"
 * while nothing was sent to D3, and the close stayed stored until the claim lapsed (OUTBOX_CLAIM_TTL_MS,
 * 60 s by default) for the takeover to send it then: a close the analyst was told had failed, and a
 * second close if they retried meanwhile.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarnessBehindProxy } from '../support/card.ts';
import { slashCommandPayload } from '../support/fixtures.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { redisAvailable } from '../support/redis.ts';
import type { PartitionableRedisProxy } from '../support/redis-proxy.ts';

const N = '20200526-23';

describe.skipIf(!redisAvailable())('attack12: a Socket Mode close whose ack the dropped socket lost', () => {
  let h: Harness;
  let proxy: PartitionableRedisProxy;
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it('is sent to D3 and told on response_url once, without waiting for its claim to lapse', async () => {
    ({ h, proxy, stop } = await startHarnessBehindProxy((url) =>
      startHarness({ env: { SLACK_APP_TOKEN: 'xapp-test-token', SLACK_SIGNING_SECRET: '', STORE_URL: url } }),
    ));
    await h.slack.waitFor(() => h.slack.socket.connected() === 1);
    h.d3.script('close', { fixture: 'close-ok.json', delayMs: 1_000 });
    // The close's store write waits (Redis stalls), so its acknowledgement leaves after the socket dropped.
    proxy.pauseWhen((chunk) => chunk.includes('ci:queue'));
    const payload = slashCommandPayload('close-command.form', {
      text: `${N} benign scanner`,
      response_url: h.slack.responseUrl('analyst'),
      trigger_id: '7012345678901.4412345678.acklost',
    });
    void h.slack.socket.send('slash_commands', payload, { timeoutMs: 20_000 }).catch(() => {});
    await h.slack.waitFor(() => proxy.isPaused(), 5_000);
    h.slack.socket.disconnect('refresh_requested');
    await h.slack.waitFor(() => h.slack.socket.connected() === 0, 5_000);
    // Past STORE_BEFORE_ACK_MS (1.5 s) the acknowledgement goes without the store, onto a closed socket.
    await new Promise((r) => setTimeout(r, 2_000));
    proxy.resume();

    await h.slack.waitFor(() => h.slack.responses('analyst').length >= 1, 10_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(h.d3.closeCalls()).toHaveLength(1);
    expect(h.slack.calls('chat.postMessage').filter((c) => c.args.channel === 'C1234')).toHaveLength(1);
    const told = h.slack.responses('analyst').map((r) => JSON.stringify(r));
    expect(told).toHaveLength(1);
    expect(told[0]).toContain(`Closed ${N} in D3`);
  }, 40_000);
});
