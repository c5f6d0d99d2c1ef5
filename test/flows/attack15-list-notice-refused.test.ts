/**
 * Promise broken: "never lose an acknowledged close" and "every path ends in a message", for a list from
 * the form.
 *
 * A form with several numbers is acknowledged (the modal closes), then the analyst is sent "Closing N
 * incidents…" (an ephemeral message, else a DM), then the list is closed. When Slack refused both the
 * ephemeral and the DM (a Slack hiccup, a channel the bot cannot post in), the listener threw before the
 * bulk close began: the submitted list was never sent to D3, and nothing told the analyst, even once Slack
 * answered again. A single close from the same form is stored and closed whatever Slack says.
 *
 * Real parts: the app over HTTP, fake D3 and fake Slack as servers, a signed view submission.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';

const NUMBERS = ['20200526-23', '20200526-24', '20200526-31'];

describe('attack15: a list from the form whose "Closing…" notice Slack refuses', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('still closes the list and tells the analyst the result', async () => {
    h = await startHarness();
    const harness = h;
    // The notice: the ephemeral refused, then the DM refused; Slack answers normally afterwards.
    harness.slack.script('chat.postEphemeral', { error: 'channel_not_found' });
    harness.slack.script('chat.postMessage', { error: 'fatal_error' });
    const res = await harness.submit({ values: { incident: NUMBERS.join('\n'), note: 'storm' } });
    expect(res.status).toBe(200);
    const told = () => harness.slack.calls('chat.postEphemeral').map((c) => String(c.args.text));
    await harness.slack.waitFor(() => told().some((t) => /finished/.test(t)), 10_000).catch(() => {});
    console.log(
      `[attack15 notice refused] D3 close calls: ${harness.d3.closeCalls().length}; told: ${JSON.stringify(told())}`,
    );
    expect(harness.d3.closeCalls()).toHaveLength(3);
    expect(told().at(-1)).toMatch(/^Bulk close of 3 incidents finished: 3 closed/);
    const announced = harness.slack.messages('C1234').map((m) => String(m.text));
    for (const n of NUMBERS) expect(announced.filter((text) => text.includes(n))).toHaveLength(1);
  }, 30_000);
});
