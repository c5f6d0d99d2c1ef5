/**
 * The confirmation card's 5 s deadline with a healthy store and D3 slow (its close answered after 7 s).
 * Promises: the click is answered by the deadline without a lie ("cannot say yet", never "not closed"),
 * the closure follows exactly once and replaces the card, a second click while it is pending closes
 * nothing twice, and a response_url Slack refuses by then still gets the closure to the analyst (a DM).
 *
 * Real parts: the app over HTTP, fake D3 and fake Slack as servers, signed requests. D3's delay only
 * puts the close past the deadline; what is asserted is the order and content of what the analyst got.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { clickCard, showCard } from '../support/card.ts';
import { type Harness, startHarness } from '../support/harness.ts';

const N = '20200526-23';
type Told = { text: string; replace_original?: boolean };

describe('attack16d: a card Close with D3 slower than the click\u2019s deadline', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  async function pendingClick() {
    h = await startHarness({
      env: {
        CONFIRM_BEFORE_CLOSE: 'true',
        D3_PREVIEW: 'true',
        D3_TIMEOUT_MS: '15000',
        D3_RETRY_DEADLINE_MS: '20000',
      },
    });
    const harness = h;
    harness.d3.incidents.set(N, { status: 'Open', site: 'Security Operations' });
    const card = await showCard(harness, `${N} benign scanner`, 'card');
    harness.d3.script('close', { delayMs: 7_000 });
    expect((await clickCard(harness, card.close, 'confirm_close', 'click1')).status).toBe(200);
    const click1 = () => harness.slack.responses('click1') as Told[];
    await harness.slack.waitFor(() => click1().length >= 1, 20_000);
    const first = click1()[0]!;
    expect(first.text).toMatch(/cannot say yet whether it is closed/);
    expect(first.text).not.toMatch(/not closed|not sent|was not/);
    expect(first.replace_original).toBe(false);
    return { harness, card, click1 };
  }

  it('pending, then a second Close on the same card: "already used", nothing sent twice; the closure replaces the card once', async () => {
    const { harness, card, click1 } = await pendingClick();
    // The card stays during confirm_pending, its Close button too: clicked again.
    expect((await clickCard(harness, card.close, 'confirm_close', 'click2')).status).toBe(200);
    await harness.slack.waitFor(() => harness.slack.responses('click2').length >= 1, 20_000);
    const second = harness.slack.responses('click2')[0] as Told;
    expect(second.text).toMatch(/already used/);

    await harness.slack.waitFor(() => click1().length >= 2, 20_000);
    await harness.stop({ keepFakes: true });
    console.log(`[attack16d slow D3] click1: ${JSON.stringify(click1().map((t) => t.text.slice(0, 60)))}`);
    expect(click1()).toHaveLength(2);
    expect(click1()[1]!.text).toMatch(/^Closed 20200526-23 in D3/);
    expect(click1()[1]!.replace_original).toBe(true);
    expect(harness.slack.responses('click2')).toHaveLength(1);
    expect(harness.d3.closeCalls()).toHaveLength(1);
    expect(harness.slack.messages('C1234')).toHaveLength(1);
  }, 60_000);

  it('pending, then Slack refuses the response_url: the closure reaches the analyst by DM', async () => {
    const { harness, click1 } = await pendingClick();
    harness.slack.outage('response_url', { status: 404, body: { ok: false, error: 'expired_url' } });
    const dms = () =>
      harness.slack
        .calls('chat.postMessage')
        .filter((c) => c.args.channel === 'U1234')
        .map((c) => String(c.args.text));
    await harness.slack.waitFor(() => dms().length >= 1, 20_000);
    await harness.stop({ keepFakes: true });
    expect(dms()).toHaveLength(1);
    expect(dms()[0]).toMatch(/^Closed 20200526-23 in D3/);
    expect(click1()).toHaveLength(1);
    expect(harness.d3.closeCalls()).toHaveLength(1);
  }, 60_000);
});
