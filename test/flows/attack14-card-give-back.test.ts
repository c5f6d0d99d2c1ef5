/**
 * Promise broken: "every path a user can hit ends in a message that says what happened and what to do
 * next", and the card's own promise: "a Close refused for a full D3 queue leaves the card to click again".
 *
 * A card's Close spends the card's mark (close-incident.ts markRequest) before its close reaches D3's
 * queue; refused there for a full queue, decide() gives the mark back with
 * `unmarkRequest(...).catch(() => {})`, after the analyst was already told "Retry in a few seconds" with
 * the card left in place. Observed, the store failing at that moment (its lock release throwing): the
 * mark stays, and the next Close, the store answering again, reads "This preview's button was already
 * used … the first click's result is shown separately. Run the command again to close another incident."
 * The incident was never sent to D3, and the card can never close it.
 *
 * Real parts: the app over HTTP, fake D3 and fake Slack as servers, signed requests. D3's queue is filled
 * (D3_MAX_RPS=1, D3_QUEUE_MAX=1) by the form's preview reads, which are not counted as closes, while the
 * click's close holds at its mark; the store is the app's own memory store with chosen calls failing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { clickCard } from '../support/card.ts';
import { clickIntoFullQueue as clickIntoFull, isGiveBack } from '../support/card-full-queue.ts';
import type { Harness } from '../support/harness.ts';
import { type StoreCall, storeDown } from '../support/store-faults.ts';

interface Told {
  text: string;
  replace_original?: boolean;
}

describe('attack14: a card Close refused for a full queue while the store fails to give its mark back', () => {
  let h: Harness | undefined;
  /** Lets the held click go on, should a test fail while it waits. */
  let release = () => {};
  afterEach(async () => {
    release();
    await h?.stop();
    h = undefined;
  });

  /**
   * Shows a card and clicks Close while D3's queue is full, so the click's close is refused there after
   * it spent the card's mark; `giveBackFails` decides which of the store's give-back calls throw, and
   * `whileGivingBack` runs once the click goes on, before its answer is awaited. Returns the answer to
   * that click, and the card's Close and Cancel values.
   */
  async function clickIntoFullQueue(
    giveBackFails: (c: StoreCall) => boolean,
    whileGivingBack?: (h: Harness, cancel: string) => Promise<void>,
  ): Promise<{ first: Told; close: string }> {
    const started = await clickIntoFull({
      onStoreCall: (c) => {
        if (isGiveBack(c) && giveBackFails(c)) throw storeDown();
      },
    });
    h = started.h;
    release = started.release;
    const harness = h;
    expect(started.ackStatus).toBe(200);
    await whileGivingBack?.(harness, started.cancel);
    await harness.slack.waitFor(() => harness.slack.responses('click1').length >= 1, 20_000);
    // The race this test is about: the click's close was refused by D3's queue, nothing sent.
    expect(harness.logs()).toContain('"code":"queue_full"');
    expect(harness.d3.closeCalls()).toHaveLength(0);
    return { first: harness.slack.responses('click1')[0] as Told, close: started.close };
  }

  /** Clicks the card's Close again (D3's queue drained by then, the store answering) and returns the answer. */
  async function clickAgain(close: string): Promise<Told> {
    const harness = h!;
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await clickCard(harness, close, 'confirm_close', 'click2')).status).toBe(200);
    await harness.slack.waitFor(() => harness.slack.responses('click2').length >= 1, 15_000);
    return harness.slack.responses('click2')[0] as Told;
  }

  it('a store failing for a moment does not spend the card: Close clicked again closes the incident', async () => {
    let failed = 0;
    // The first give-back call throws; the store answers again at once.
    const { first, close } = await clickIntoFullQueue((c) => c.op === 'locks.release' && failed++ === 0);
    expect(first.text).toMatch(/too many closes/i);
    expect(first.replace_original).toBe(false);
    await h!.slack.waitFor(() => failed > 0, 5_000);
    // As told: retry in a few seconds.
    const second = await clickAgain(close);
    expect(second.text).not.toMatch(/already used/);
    expect(second.text).toMatch(/^Closed 20200526-23 in D3/);
    await h!.slack.waitFor(() => h!.d3.closeCalls().length === 1, 10_000);
  }, 60_000);

  it('a store down through the give-back: the analyst is told the card no longer closes, and what to do', async () => {
    let down = true;
    const { first, close } = await clickIntoFullQueue(() => down);
    down = false;
    // Not "retry" on a card that can no longer close: say so, and what to do instead.
    expect(first.text).toMatch(/was not sent to D3/);
    expect(first.text).toMatch(/no longer/);
    expect(first.text).toMatch(/command again/);
    expect(first.text).not.toMatch(/Retry in a few seconds/);
    // The dead card is replaced by the answer, so its buttons are gone.
    expect(first.replace_original).toBe(true);

    // Should the card still be there (the replace refused), a later click is no dead end either.
    const second = (await clickAgain(close)).text;
    expect(second).toMatch(/command again/);
    expect(second).not.toMatch(/to close another incident/);
    expect(h!.d3.closeCalls()).toHaveLength(0);
  }, 60_000);

  /**
   * attack15: Cancel clicked while the Close's give-back is still retrying (the store failing for a
   * moment). Held: the Cancel reads "already used" (the Close is still stored), the Close's answer says
   * nothing was sent and to retry with the card in place, and the next Close closes the incident once.
   */
  it('Cancel while the give-back retries: Cancel "already used", the Close "retry", the next Close closes once', async () => {
    let releases = 0;
    let cancelled = '';
    // The give-back's lock release fails twice (about 1.2 s of retries), then the store answers.
    const { first, close } = await clickIntoFullQueue(
      (c) => c.op === 'locks.release' && releases++ < 2,
      async (harness, cancel) => {
        await harness.slack.waitFor(() => releases >= 1, 10_000);
        expect((await clickCard(harness, cancel, 'cancel_close', 'cancel')).status).toBe(200);
        await harness.slack.waitFor(() => harness.slack.responses('cancel').length >= 1, 10_000);
        cancelled = JSON.stringify(harness.slack.responses('cancel')[0]);
      },
    );
    expect(cancelled).toMatch(/already used/);
    expect(first.text).toMatch(/Retry in a few seconds/);
    expect(h!.d3.closeCalls()).toHaveLength(0);
    const second = await clickAgain(close);
    expect(second.text).toMatch(/^Closed 20200526-23 in D3/);
    await h!.slack.waitFor(() => h!.d3.closeCalls().length === 1, 10_000);
  }, 60_000);
});
