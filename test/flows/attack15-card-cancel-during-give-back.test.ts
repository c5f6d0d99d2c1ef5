/**
 * Attack on the card's give-back (attack14): Cancel clicked while a Close refused for a full D3 queue is
 * still giving the card's mark back (the store failing for a moment). Held: the Cancel reads "already
 * used" (the Close is still stored), the Close's answer then says nothing was sent and to retry with the
 * card left in place, and the next Close closes the incident once. Nothing is closed before that click.
 *
 * Real parts: the app over HTTP, fake D3 and fake Slack as servers, signed requests; D3's queue filled by
 * the form's preview reads (D3_MAX_RPS=1, D3_QUEUE_MAX=1); the store is the app's own memory store with
 * chosen calls failing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { blockActionBody } from '../support/block-actions.ts';
import { clickCard, showCard } from '../support/card.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { type StoreCall, storeDown, storeFaults } from '../support/store-faults.ts';

const N = '20200526-23';
const isMarkLock = (c: StoreCall) => c.key.startsWith('request:confirm:');

async function queueDepth(h: Harness): Promise<number> {
  const text = await (await fetch(`${h.baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('close_incident_d3_queue_depth '));
  return Number(line?.split(' ')[1]);
}

describe('attack15: Cancel while a refused Close gives the card back', () => {
  let h: Harness | undefined;
  let release = () => {};
  afterEach(async () => {
    release();
    await h?.stop();
    h = undefined;
  });

  it('tells one consistent story: Cancel "already used", the Close "retry", and the next Close closes once', async () => {
    const faults = storeFaults();
    h = await startHarness({
      env: { CONFIRM_BEFORE_CLOSE: 'true', D3_PREVIEW: 'true', D3_MAX_RPS: '1', D3_QUEUE_MAX: '1' },
      runtime: { wrapStore: faults.wrap },
    });
    const harness = h;
    harness.d3.incidents.set(N, { status: 'Open', site: 'Security Operations' });
    const { close, cancel } = await showCard(harness, `${N} benign scanner`, 'card');
    let marking = false;
    let releases = 0;
    const held = new Promise<void>((r) => {
      release = r;
    });
    faults.set(async (c) => {
      if (c.op === 'locks.acquire' && isMarkLock(c) && !marking) {
        marking = true;
        await held;
      }
      // The give-back's lock release fails twice (about 1.2 s of retries), then the store answers.
      if (c.op === 'locks.release' && isMarkLock(c) && releases++ < 2) throw storeDown();
    });
    await new Promise((r) => setTimeout(r, 1_200));
    expect((await clickCard(harness, close, 'confirm_close', 'click1')).status).toBe(200);
    await harness.slack.waitFor(() => marking, 5_000);
    await harness.raw(blockActionBody('block-actions-modal-input.json', { value: '20200526-31\n20200526-32' }));
    const deadline = Date.now() + 5_000;
    while ((await queueDepth(harness)) < 1) {
      if (Date.now() > deadline) throw new Error('D3 queue never filled');
      await new Promise((r) => setTimeout(r, 10));
    }
    release();
    await harness.slack.waitFor(() => releases >= 1, 10_000);
    // Cancel while the give-back retries.
    expect((await clickCard(harness, cancel, 'cancel_close', 'cancel')).status).toBe(200);
    await harness.slack.waitFor(() => harness.slack.responses('cancel').length >= 1, 10_000);
    await harness.slack.waitFor(() => harness.slack.responses('click1').length >= 1, 15_000);
    const cancelled = JSON.stringify(harness.slack.responses('cancel')[0]);
    const first = JSON.stringify(harness.slack.responses('click1')[0]);
    expect(harness.d3.closeCalls()).toHaveLength(0);

    await new Promise((r) => setTimeout(r, 1_500));
    expect((await clickCard(harness, close, 'confirm_close', 'click2')).status).toBe(200);
    await harness.slack.waitFor(() => harness.slack.responses('click2').length >= 1, 15_000);
    const second = JSON.stringify(harness.slack.responses('click2')[0]);
    console.log(`[attack15 cancel during give-back] cancel: ${cancelled}; close: ${first}; close again: ${second}`);
    if (/Cancelled/.test(cancelled)) {
      // Cancelled: nothing may close it afterwards, and the Close's answer may not say "retry".
      expect(first).not.toMatch(/Retry in a few seconds/);
      expect(harness.d3.closeCalls()).toHaveLength(0);
    } else {
      expect(cancelled).toMatch(/already used/);
      expect(first).toMatch(/Retry in a few seconds/);
      expect(second).toMatch(/Closed 20200526-23 in D3/);
      await harness.slack.waitFor(() => harness.d3.closeCalls().length === 1, 10_000);
    }
  }, 60_000);
});
