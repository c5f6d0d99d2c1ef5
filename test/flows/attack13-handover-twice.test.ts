import { describe, expect, it } from 'vitest';
import { useSqliteInstances } from '../support/sqlite-instances.ts';

const closes = 6;
const number = (i: number) => `20261213-${i}`;

/**
 * A close handed over at a graceful stop from D3's queue was marked "attempted" before its slot wait, so
 * the instance that takes it over reads the incident's state before closing. A second graceful stop while
 * that read waits for its slot must hand the close over again, not tell the analyst the outcome is
 * unknown and forget a close D3 never received.
 */
describe('two graceful stops in a row (sqlite)', () => {
  const instances = useSqliteInstances('close-incident-twice-', { D3_MAX_RPS: '1', OUTBOX_CLAIM_TTL_MS: '6000' });
  const { start, stop } = instances;
  const shown = (i: number) =>
    instances
      .slack()
      .responses(`r${i}`)
      .map((r) => JSON.stringify(r));

  it('hands a taken-over close over again, and the third instance closes every incident once', async () => {
    const d3 = instances.d3();
    const slack = instances.slack();
    const first = await start();
    for (let i = 0; i < closes; i++)
      await first.command({ text: `${number(i)} benign scanner ${i}`, response_url: slack.responseUrl(`r${i}`) });
    await slack.waitFor(() => d3.closeCalls().length >= 1, 10_000);
    await stop(first);
    const handed = Array.from({ length: closes }, (_, i) => i).filter((i) => shown(i).join().includes('restarting'));
    expect(handed.length).toBeGreaterThan(1);

    const second = await start();
    await slack.waitFor(() => d3.callsOf('state').length >= 1, 10_000);
    await stop(second);
    for (const i of handed) expect(shown(i).join(), `analyst of ${number(i)}`).not.toMatch(/could not tell/);

    await start();
    await slack.waitFor(() => d3.closeCalls().length >= closes, 30_000);
    await slack.waitFor(
      () =>
        handed.every((i) =>
          shown(i)
            .at(-1)
            ?.includes(`Closed ${number(i)} in D3`),
        ),
      10_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    const closed = d3.closeCalls().map((c) => (c.body as { CommandParams: Record<string, string> }).CommandParams);
    expect(closed.map((p) => p['Incident Number']).sort()).toEqual(
      Array.from({ length: closes }, (_, i) => number(i)).sort(),
    );
  }, 90_000);
});
