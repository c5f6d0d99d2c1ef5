/**
 * Promise broken: "every path a user can hit ends in one clear message" and the card's own promise (a
 * card refused for a full D3 queue "can be clicked again": preview-incidents.ts / block-actions.ts
 * `cardStays`).
 *
 * decide() checks `busy()` before the click's close is counted anywhere (admission counts it only from
 * `admit`, after the store read of the card), so clicks arriving together all pass the check; the close
 * use case then spends the card's de-duplication mark before D3's limiter refuses the surplus with
 * `queue_full`. Observed (D3_MAX_RPS=1, D3_QUEUE_MAX=1, five cards' Close clicked at once): the refused
 * cards are kept and say "There are too many closes at once … Retry in a few seconds"; clicking Close
 * again a few seconds later is answered "This preview's button was already used" and the incident is never
 * sent to D3 by that card.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { clickCard, showCard } from '../support/card.ts';
import { type Harness, startHarness } from '../support/harness.ts';

const numbers = ['20200526-31', '20200526-32', '20200526-33', '20200526-34', '20200526-35'];

describe('attack11: card Close refused for a full queue after its mark was spent', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('a card told "retry in a few seconds" closes when clicked again', async () => {
    h = await startHarness({
      env: {
        STORE_URL: 'sqlite://:memory:',
        CONFIRM_BEFORE_CLOSE: 'true',
        D3_PREVIEW: 'false',
        D3_MAX_RPS: '1',
        D3_QUEUE_MAX: '1',
      },
    });
    const values = new Map<string, string>();
    for (const n of numbers) values.set(n, (await showCard(h, `${n} benign scanner`, `card-${n}`)).close);
    const click = (n: string, id: string) => clickCard(h!, values.get(n)!, 'confirm_close', id);
    const acks = await Promise.all(numbers.map((n) => click(n, `click1-${n}`)));
    expect(acks.map((a) => a.status)).toEqual(numbers.map(() => 200));
    await h.slack.waitFor(() => numbers.every((n) => h!.slack.responses(`click1-${n}`).length >= 1), 20_000);
    const full = numbers.filter((n) => /too many closes/i.test(JSON.stringify(h!.slack.responses(`click1-${n}`))));
    // The race must have happened for this test to say anything.
    expect(full.length).toBeGreaterThan(0);

    // As told: retry in a few seconds (the queue has drained by now).
    await new Promise((r) => setTimeout(r, 6_000));
    for (const n of full) {
      await click(n, `click2-${n}`);
      await h.slack.waitFor(() => h!.slack.responses(`click2-${n}`).length >= 1, 15_000);
    }
    const second = Object.fromEntries(full.map((n) => [n, JSON.stringify(h!.slack.responses(`click2-${n}`))]));
    for (const n of full) expect(second[n]).not.toMatch(/already used/);
  }, 90_000);
});
