/**
 * A list's first answer ("Closing N incidents…" once its de-duplication marks show it is new, its
 * refusal, or "Closing N" anyway after 1.5 s), attacked where the store is slow or a list is partly
 * redelivered. Promises: the slash command's ack stays inside Slack's 3 s whatever the store does; never
 * a message that is untrue; a list's result is never lost; every path ends in a message saying what happened.
 *
 * Real parts: the app over HTTP, fake D3 and fake Slack as servers, signed requests; the app's own memory
 * store with chosen calls held until the test lets them go (RuntimeOptions.wrapStore), so nothing is timed:
 * "in time" is "the ack arrived while the store still held the list's marks".
 */
import { describe, expect, it } from 'vitest';
import { slashCommandBody } from '../support/fixtures.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { harnessPerTest, type Told } from '../support/harness-per-test.ts';
import { holdCalls, type StoreCall, storeFaults } from '../support/store-faults.ts';

const NUMBERS = ['20200526-23', '20200526-24', '20200526-31'];
const redelivered = { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } };
describe('attack16d: a list\u2019s first answer with a slow store', () => {
  const slot = harnessPerTest();

  /** The harness on a store whose calls `hangs` picks are held (counted by `held()`) until `unhang()`. */
  async function start() {
    const faults = storeFaults();
    slot.h = await startHarness({ runtime: { wrapStore: faults.wrap } });
    let holding: ReturnType<typeof holdCalls> | undefined;
    const hold = (hangs: (c: StoreCall) => boolean) => {
      holding = holdCalls(faults, hangs);
      slot.unhang = holding.release;
    };
    return { harness: slot.h, hold, held: () => holding?.held() ?? 0, free: () => faults.set(undefined) };
  }

  const closedNumbers = (harness: Harness) =>
    harness.d3
      .closeCalls()
      .map((c) => (c.body as { CommandParams: Record<string, string> }).CommandParams['Incident Number'])
      .sort();

  const listCommand = (harness: Harness, numbers: string[], trigger: string) =>
    slashCommandBody('close-command.form', {
      text: `${numbers.join(',')} storm`,
      response_url: harness.slack.responseUrl('analyst'),
      trigger_id: `1337.4412345678.${trigger}`,
    });

  it('marks held past Slack\u2019s 3 s: the ack "Closing 3 incidents…" arrives while they are held; the list then closes', async () => {
    const { harness, hold, held } = await start();
    hold((c) => c.op === 'once' && c.key.startsWith('request:command:'));
    const ack = await harness.raw(listCommand(harness, NUMBERS, 'a16dslow'));
    expect(ack.status).toBe(200);
    expect(held()).toBeGreaterThan(0);
    expect(ack.text).toContain('Closing 3 incidents');
    slot.unhang();
    const responses = () => harness.slack.responses('analyst') as Told[];
    await harness.slack.waitFor(() => responses().some((r) => r.text.includes('finished')), 20_000);
    expect(responses().at(-1)?.text).toContain('3 closed');
    expect(closedNumbers(harness)).toEqual(NUMBERS);
  }, 60_000);

  it('partly redelivered (2 of 3 already asked for): told "Closing 1 incident…", and the list says which 2 were not sent again', async () => {
    const { harness } = await start();
    const first = NUMBERS.slice(0, 2);
    const ack1 = await harness.raw(listCommand(harness, first, 'a16dpartial'));
    expect(ack1.text).toContain('Closing 2 incidents');
    const responses = () => harness.slack.responses('analyst') as Told[];
    await harness.slack.waitFor(() => responses().some((r) => r.text.includes('finished')), 20_000);
    const before = responses().length;
    // The same submission (same trigger_id) now carrying a third number: two marks taken, one new.
    const ack2 = await harness.raw(listCommand(harness, NUMBERS, 'a16dpartial'), redelivered);
    expect(ack2.text).toContain('Closing 1 incident…');
    await harness.slack.waitFor(
      () =>
        responses()
          .slice(before)
          .some((r) => r.text.includes('finished')),
      20_000,
    );
    const final = responses().at(-1)!.text;
    expect(final).toContain('1 closed');
    expect(final).toContain('2 refused');
    for (const n of first) expect(final).toMatch(new RegExp(`${n}\\* — refused: .*already asked for`));
    expect(closedNumbers(harness)).toEqual(NUMBERS);
  }, 60_000);

  it('redelivered with its marks held past 1.5 s: the "already received" correction does not overwrite the first delivery\u2019s result list', async () => {
    const { harness, hold, held } = await start();
    const body = listCommand(harness, NUMBERS, 'a16dredelivered');
    await harness.raw(body);
    const responses = () => harness.slack.responses('analyst') as Told[];
    await harness.slack.waitFor(() => responses().some((r) => r.text.includes('finished')), 20_000);
    const before = responses().length;
    expect(responses()[before - 1]?.text).toContain('3 closed');

    hold((c) => c.op === 'once' && c.key.startsWith('request:command:'));
    const ack2 = await harness.raw(body, redelivered);
    expect(held()).toBeGreaterThan(0);
    // The fallback: the store has not said yet that the list is old.
    expect(ack2.text).toContain('Closing 3 incidents');
    slot.unhang();
    await harness.stop({ keepFakes: true });
    const after = responses().slice(before);
    console.log(`[attack16d redelivered slow] ack2: ${JSON.stringify(ack2.text)}; after: ${JSON.stringify(after)}`);
    // The correction is said…
    expect(after).toHaveLength(1);
    expect(after[0]!.text).toMatch(/already received, so none of them was sent to D3 again/);
    // …but not in place of the response_url's last message: that is the first delivery's "3 closed" list,
    // which the correction itself says is "shown separately". Replacing it loses the list's result.
    expect(after[0]!.replace_original).toBe(false);
    expect(closedNumbers(harness)).toEqual(NUMBERS);
  }, 60_000);
});
