import { beforeEach, describe, expect, it } from 'vitest';
import { useChildApps } from '../support/child-fixture.ts';
import type { FakeD3 } from '../support/fake-d3.ts';
import type { FakeSlack } from '../support/fake-slack.ts';
import { slashCommandBody } from '../support/fixtures.ts';
import { signingSecret } from '../support/harness.ts';
import { postSigned } from '../support/sign.ts';

const closes = 8;
const number = (i: number) => `20261202-${i}`;

/**
 * A graceful stop hands over the acknowledged closes that have not reached D3. A close with a close
 * reason reaches D3 first with the reason's field set: one still waiting for that call (in the gate or
 * for a D3 slot) at SIGTERM must be handed over too, not told "D3 did not set the close reason" and
 * forgotten (its stored entry removed) although D3 was never asked.
 */
describe('attack9b: a graceful stop with closes that carry a close reason', () => {
  const apps = useChildApps({
    DISPOSITIONS: 'fp=False Positive,tp=True Positive',
    D3_PREVIEW: 'false',
    D3_MAX_RPS: '2',
    OUTBOX_INTERVAL_MS: '300',
    OUTBOX_CLAIM_TTL_MS: '6000',
  });
  let d3: FakeD3;
  let slack: FakeSlack;
  beforeEach(() => {
    ({ d3, slack } = apps);
  });

  it('hands over the closes whose reason was not set yet; the restart closes each one once', async () => {
    const first = await apps.start();
    const acks = await Promise.all(
      Array.from({ length: closes }, (_, i) =>
        postSigned(
          first.eventsUrl,
          slashCommandBody('close-command.form', {
            user_id: 'U1234',
            text: `${number(i)} fp: benign scanner ${i}`,
            response_url: slack.responseUrl(`r${i}`),
            trigger_id: `${Date.now()}.4412345678.h${i}`,
          }),
          { secret: signingSecret },
        ),
      ),
    );
    expect(acks.map((a) => a.status)).toEqual(Array(closes).fill(200));
    await slack.waitFor(() => d3.callsOf('fields').length >= 1, 10_000);
    first.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const told = Array.from({ length: closes }, (_, i) => JSON.stringify(slack.responses(`r${i}`)));
    // Nobody is told the reason was not set: D3 refused nothing, the bot stopped before asking.
    for (const t of told) expect(t).not.toContain('did not set the close reason');
    const handed = told.flatMap((t, i) => (t.includes('restarting') ? [i] : []));
    expect(handed.length).toBeGreaterThan(0);
    // Nor audited as failed: each is on record (history, metrics) as handed over, D3 never asked.
    expect(
      first
        .output()
        .match(/close attempt: [a-z_]+[^"]*/g)
        ?.filter((m) => !m.endsWith(': closed')),
    ).toEqual(handed.map(() => 'close attempt: handed_over'));

    await apps.start();
    await slack.waitFor(() => d3.closeCalls().length >= closes, 30_000);
    await new Promise((r) => setTimeout(r, 1_000));
    const closed = d3.closeCalls().map((c) => (c.body as { CommandParams: Record<string, string> }).CommandParams);
    expect(new Set(closed.map((p) => p['Incident Number'])).size).toBe(closes);
    expect(closed).toHaveLength(closes);
    for (const i of handed)
      expect(JSON.stringify(slack.responses(`r${i}`).at(-1))).toContain(`Closed ${number(i)} in D3`);
  }, 90_000);
});
