/**
 * Promise broken: "a list's one summary lists what was closed" (one announcement per incident), and the
 * README's store-outage row: a summary the store will not take is posted anyway, once.
 *
 * A list writes one close intent per incident before it sends them, and drops them once its one summary
 * is in the outbox. With the store failing for a moment just then (the summary's outbox write and the
 * intents' removal refused), the summary is posted without the outbox, as promised, but the intents stay.
 * The store answering again, the replay settled each intent in D3 (closed by this very request) and
 * posted it on its own: every incident of the list announced twice in the channel. A single close does
 * not do this: its intent has its summary's id, so the replay's history look-up finds the post.
 *
 * Real parts: the app over HTTP, fake D3 and fake Slack as servers, a signed command; the app's own
 * memory store with chosen calls failing (RuntimeOptions.wrapStore).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';
import { storeDown, storeFaults } from '../support/store-faults.ts';

const NUMBERS = ['20200526-23', '20200526-24', '20200526-31'];

describe('attack15: a list whose summary the store refuses for a moment', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('announces each incident once', async () => {
    const faults = storeFaults();
    h = await startHarness({ env: { OUTBOX_INTERVAL_MS: '300' }, runtime: { wrapStore: faults.wrap } });
    const harness = h;
    let down = false;
    faults.set((c) => {
      // The list's summary (confirmed, several items) refused: the store is down from here ...
      if (c.op === 'outbox.put' && (c.value as { items?: unknown[] }).items) down = true;
      if (down && c.op.startsWith('outbox.')) throw storeDown();
    });
    const res = await harness.command({
      text: `${NUMBERS.join(',')} storm`,
      response_url: harness.slack.responseUrl('analyst'),
    });
    expect(res.status).toBe(200);
    await harness.slack.waitFor(() => harness.slack.messages('C1234').length >= 1, 10_000);
    await harness.slack.waitFor(
      () => harness.slack.responses('analyst').some((r) => /finished/.test(JSON.stringify(r))),
      10_000,
    );
    // ... and back a moment later.
    down = false;
    await new Promise((r) => setTimeout(r, 3_000));
    const announced = harness.slack.messages('C1234').map((m) => String(m.text));
    console.log(
      `[attack15 store blip] D3 close calls: ${harness.d3.closeCalls().length}; channel: ${JSON.stringify(announced)}`,
    );
    expect(harness.d3.closeCalls()).toHaveLength(3);
    for (const n of NUMBERS) expect(announced.filter((text) => text.includes(n))).toHaveLength(1);
  }, 30_000);
});
