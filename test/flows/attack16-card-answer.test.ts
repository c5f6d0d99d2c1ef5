/**
 * The confirmation card's answer to a Close refused by D3's full queue (attack14's race), on two more
 * paths. Promises: "every path a user can hit ends in a message that says what happened and what to do
 * next", "never lie about an incident's state", and the click acknowledged within Slack's 3 s.
 *
 * 1. Slack refuses the response_url (expired, used up): the answer goes by DM, and must be the card's own
 *    answer (the card no longer closes: run the command again), not the raw "retry" of the queue's refusal.
 * 2. The store hangs (rather than fails) while the card's mark is given back: the answer must not wait
 *    for it (each store call may take its 3 s timeout, the give-back retries several): it arrives while
 *    the store still hangs, and says the card is spent, since nothing was sent to D3.
 *
 * Real parts: the app over HTTP, fake D3 and fake Slack as servers, signed requests; the app's own memory
 * store with chosen calls failing or held (RuntimeOptions.wrapStore).
 */
import { describe, expect, it } from 'vitest';
import { clickCard, showCard } from '../support/card.ts';
import { clickIntoFullQueue, isGiveBack, isMarkLock, N } from '../support/card-full-queue.ts';
import { startHarness } from '../support/harness.ts';
import { harnessPerTest, type Told } from '../support/harness-per-test.ts';
import { holdCalls, type StoreCall, storeDown, storeFaults } from '../support/store-faults.ts';

describe('attack16: a card Close refused for a full queue, answered by DM or while the store hangs', () => {
  const slot = harnessPerTest();

  it('response_url refused and the card not given back: the DM says the card no longer closes, not "retry"', async () => {
    const started = await clickIntoFullQueue({
      onStoreCall: (c) => {
        if (isGiveBack(c)) throw storeDown();
      },
      beforeClick: (harness) =>
        harness.slack.outage('response_url', { status: 404, body: { ok: false, error: 'expired_url' } }),
    });
    slot.h = started.h;
    const harness = slot.h;
    const dms = () => harness.slack.calls('chat.postMessage').filter((c) => c.args.channel === 'U1234');
    await harness.slack.waitFor(() => dms().length >= 1, 20_000);
    expect(harness.logs()).toContain('"code":"queue_full"');
    expect(harness.d3.closeCalls()).toHaveLength(0);
    expect(dms()).toHaveLength(1);
    const text = String(dms()[0]!.args.text);
    expect(text).toContain(N);
    expect(text).toMatch(/was not sent to D3/);
    expect(text).toMatch(/no longer closes/);
    expect(text).toMatch(/Run the command again/);
    expect(text).not.toMatch(/Retry in a few seconds/);
  }, 60_000);

  it('the store hanging through the give-back: the click is acknowledged, and the answer arrives while it hangs', async () => {
    let hanging = 0;
    const stuck = new Promise<void>((r) => {
      slot.unhang = r;
    });
    const started = await clickIntoFullQueue({
      onStoreCall: async (c) => {
        if (!isGiveBack(c)) return;
        hanging++;
        await stuck;
        hanging--;
      },
    });
    slot.h = started.h;
    const harness = slot.h;
    expect(started.ackStatus).toBe(200);
    expect(harness.logs()).not.toContain('request not acknowledged within 3 seconds');
    await harness.slack.waitFor(() => harness.slack.responses('click1').length >= 1, 20_000);
    expect(hanging).toBeGreaterThan(0);
    const first = harness.slack.responses('click1')[0] as { text: string; replace_original?: boolean };
    expect(first.text).toMatch(/was not sent to D3/);
    expect(first.text).toMatch(/no longer closes/);
    expect(first.text).not.toMatch(/Retry in a few seconds/);
    expect(first.replace_original).toBe(true);
    expect(harness.logs()).toContain('"code":"queue_full"');
    expect(harness.d3.closeCalls()).toHaveLength(0);
  }, 60_000);

  /** A card shown, then Close clicked with the store holding the chosen calls until `unhang()`. */
  async function clickWhileStoreHangs(
    hangs: (c: StoreCall) => boolean,
  ): Promise<{ held: () => number; close: string }> {
    const faults = storeFaults();
    slot.h = await startHarness({
      env: { CONFIRM_BEFORE_CLOSE: 'true', D3_PREVIEW: 'true' },
      runtime: { wrapStore: faults.wrap },
    });
    slot.h.d3.incidents.set(N, { status: 'Open', site: 'Security Operations' });
    const { close } = await showCard(slot.h, `${N} benign scanner`, 'card');
    const holding = holdCalls(faults, hangs);
    slot.unhang = holding.release;
    expect((await clickCard(slot.h, close, 'confirm_close', 'click1')).status).toBe(200);
    expect(slot.h.logs()).not.toContain('request not acknowledged within 3 seconds');
    return { held: holding.held, close };
  }

  it('the store hanging while the close is under way: "still closing, check history", never "not closed"; the result follows', async () => {
    const { held } = await clickWhileStoreHangs((c) => c.op === 'locks.acquire' && isMarkLock(c));
    const harness = slot.h!;
    await harness.slack.waitFor(() => harness.slack.responses('click1').length >= 1, 20_000);
    expect(held()).toBeGreaterThan(0);
    const first = harness.slack.responses('click1')[0] as Told;
    expect(first.text).toContain(N);
    expect(first.text).toMatch(/cannot say yet whether it is closed/);
    expect(first.text).toMatch(/history 20200526-23/);
    expect(first.text).not.toMatch(/not closed|not sent|was not/);
    // The card stays: its outcome replaces it when it comes.
    expect(first.replace_original).toBe(false);

    slot.unhang();
    await harness.slack.waitFor(() => harness.slack.responses('click1').length >= 2, 20_000);
    const second = harness.slack.responses('click1')[1] as Told;
    expect(second.text).toMatch(/^Closed 20200526-23 in D3/);
    expect(harness.d3.closeCalls()).toHaveLength(1);
  }, 60_000);

  it('the store hanging while the card is read: told nothing was closed, and nothing is once the store answers', async () => {
    const { held, close } = await clickWhileStoreHangs((c) => c.op === 'cache.get' && c.key.startsWith('confirm:'));
    const harness = slot.h!;
    await harness.slack.waitFor(() => harness.slack.responses('click1').length >= 1, 20_000);
    expect(held()).toBeGreaterThan(0);
    const first = harness.slack.responses('click1')[0] as Told;
    expect(first.text).toMatch(/may not have been closed/);
    expect(first.replace_original).toBe(false);

    slot.unhang();
    // The card still closes, once: the first click's close was never started.
    expect((await clickCard(harness, close, 'confirm_close', 'click2')).status).toBe(200);
    await harness.slack.waitFor(() => harness.slack.responses('click2').length >= 1, 20_000);
    expect((harness.slack.responses('click2')[0] as Told).text).toMatch(/^Closed 20200526-23 in D3/);
    expect(harness.d3.closeCalls()).toHaveLength(1);
    expect(harness.slack.responses('click1')).toHaveLength(1);
  }, 60_000);
});
