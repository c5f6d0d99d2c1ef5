import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';

/**
 * Attack on "the analyst learns the outcome (response_url while Slack accepts it, after that a DM)" on
 * the instance that acknowledged the close: when the response_url no longer takes the answer (expired,
 * used up, or Slack failing), the outcome must still reach the analyst, as it does for a taken-over close.
 */
describe('the outcome of a close whose response_url refuses it', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it.each([
    ['sqlite', 'sqlite://:memory:'],
    ['memory', 'memory://'],
  ])(
    '%s: D3 refuses the close and the response_url answers 404: the analyst gets a DM saying so',
    async (_s, url) => {
      h = await startHarness({ env: { STORE_URL: url } });
      h.slack.outage('response_url', { status: 404, body: { ok: false, error: 'expired_url' } });
      h.d3.script('close', { fixture: 'close-failed-word.json' });
      const ack = await h.command({ text: '20200526-23 False positive' });
      expect(ack.status).toBe(200);
      await h.slack.waitFor(() => h!.slack.calls('chat.postMessage').length >= 1, 15_000).catch(() => {});
      const dms = h.slack.calls('chat.postMessage').filter((c) => c.args.channel === 'U1234');
      expect(dms).toHaveLength(1);
      expect(JSON.stringify(dms[0]!.args)).toContain('20200526-23');
      expect(JSON.stringify(dms[0]!.args)).toMatch(/refused|not closed|could not/i);
      expect(h.d3.closeCalls()).toHaveLength(1);
    },
    30_000,
  );
});
