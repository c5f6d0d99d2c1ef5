import { beforeEach, describe, expect, it } from 'vitest';
import { useChildApps } from '../support/child-fixture.ts';
import type { FakeD3 } from '../support/fake-d3.ts';
import type { FakeSlack } from '../support/fake-slack.ts';
import { slashCommandBody } from '../support/fixtures.ts';
import { signingSecret } from '../support/harness.ts';
import { postSigned } from '../support/sign.ts';

const closes = 12;
const number = (i: number) => `20261202-${i}`;

/**
 * Attack on "no acknowledged close is dropped" together with "no close without the reason the analyst
 * gave": a close typed as `<number> fp: <note>` names its reason in the note. When its instance dies
 * while it waits for a D3 slot, the restart must close it as typed: the reason set first, the note
 * without its short form.
 */
describe('a taken-over close keeps the reason the analyst gave', () => {
  const apps = useChildApps({
    DISPOSITIONS: 'fp=False Positive,tp=True Positive',
    D3_MAX_RPS: '4',
    OUTBOX_INTERVAL_MS: '300',
    OUTBOX_CLAIM_TTL_MS: '6000',
  });
  let d3: FakeD3;
  let slack: FakeSlack;
  beforeEach(() => {
    ({ d3, slack } = apps);
  });

  it('sqlite: after a SIGKILL the restart sets "False Positive" before each close and sends the note as typed', async () => {
    const first = await apps.start();
    const acks = await Promise.all(
      Array.from({ length: closes }, (_, i) =>
        postSigned(
          first.eventsUrl,
          slashCommandBody('close-command.form', {
            user_id: 'U1234',
            text: `${number(i)} fp: benign scanner ${i}`,
            response_url: slack.responseUrl(`r${i}`),
            trigger_id: `${Date.now()}.4412345678.f${i}`,
          }),
          { secret: signingSecret },
        ),
      ),
    );
    expect(acks.map((a) => a.status)).toEqual(Array(closes).fill(200));
    await slack.waitFor(() => d3.closeCalls().length >= 1, 10_000);
    first.kill('SIGKILL');
    await first.exited;
    expect(d3.closeCalls().length).toBeLessThan(closes / 2);

    await apps.start();
    await slack.waitFor(() => d3.closeCalls().length >= closes, 40_000);

    for (let i = 0; i < closes; i++) {
      const calls = d3.requests().filter((r) => JSON.stringify(r.body).includes(`"${number(i)}"`));
      const commands = calls.map((r) => r.command).filter((c) => c !== 'getIncidentStaticField');
      expect(commands, number(i)).toContain('SetIncidentFieldsInBulk');
      // The reason is set before the close (a taker-over may set it again after a close it finds done).
      expect(commands.indexOf('SetIncidentFieldsInBulk'), number(i)).toBeLessThan(commands.indexOf('CloseIncident'));
      expect(
        commands.filter((c) => c === 'CloseIncident'),
        number(i),
      ).toHaveLength(1);
      const fields = calls.find((r) => r.command === 'SetIncidentFieldsInBulk');
      expect(JSON.stringify(fields?.body)).toContain('False Positive');
      const close = calls.find((r) => r.command === 'CloseIncident');
      expect(close?.body, number(i)).toMatchObject({ CommandParams: { 'Incident Note': `benign scanner ${i}` } });
    }
  }, 60_000);
});
