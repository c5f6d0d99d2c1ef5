/**
 * A card Close refused by D3's full queue after it spent the card's mark, its give-back held by the store
 * past the click's 5 s deadline. Promise: the analyst's answer is sent once ("never close anything twice",
 * and never two answers for one click). The click's deadline and the durable queue both wait on the same
 * card answer (`answer` in preview-incidents.ts decideBy, `tellOrFallBack` in close-queue.ts), and
 * replyOnce's `tell` sends whatever `settle` sent before: when it settles after the deadline, both could
 * send it. Held: only one of them sends it (this test fails, with two answers, if both do).
 *
 * Real parts: the app over HTTP, fake D3 and fake Slack as servers, signed requests; the app's memory store
 * with the give-back held until the test lets it go (RuntimeOptions.wrapStore). The app is stopped (which
 * waits for every listener run and queued close) before the answers are counted, so nothing is timed.
 */
import { describe, expect, it } from 'vitest';
import { clickIntoFullQueue, isGiveBack } from '../support/card-full-queue.ts';
import { harnessPerTest, type Told } from '../support/harness-per-test.ts';

describe('attack16d: a card answer settled after the deadline', () => {
  const slot = harnessPerTest();

  it('the give-back held past the deadline: "no longer closes" is sent once, not by both the deadline and the queue', async () => {
    const stuck = new Promise<void>((r) => {
      slot.unhang = r;
    });
    const started = await clickIntoFullQueue({
      onStoreCall: async (c) => {
        if (isGiveBack(c)) await stuck;
      },
    });
    slot.h = started.h;
    const harness = slot.h;
    const click1 = () => harness.slack.responses('click1') as Told[];
    await harness.slack.waitFor(() => click1().length >= 1, 20_000);
    slot.unhang();
    await harness.stop({ keepFakes: true });
    const dms = harness.slack.calls('chat.postMessage').filter((c) => c.args.channel === 'U1234');
    console.log(`[attack16d told once] click1: ${JSON.stringify(click1().map((t) => t.text.slice(0, 70)))}`);
    expect(click1()[0]!.text).toMatch(/no longer closes/);
    expect(click1()).toHaveLength(1);
    expect(dms).toHaveLength(0);
    expect(harness.d3.closeCalls()).toHaveLength(0);
  }, 60_000);
});
