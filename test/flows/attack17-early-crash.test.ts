/**
 * Attack on c08e3e2: over HTTP a plain close is now acknowledged by the receiver's early answer, not
 * Bolt's listener. "An acknowledged close ("Closing…") is stored before the ack and finished even across a
 * crash": the app is SIGKILLed as soon as Slack has "Closing…", while D3 is still answering; the restart
 * (same sqlite file) must take the close over and tell the analyst once, in place, with one D3 closure
 * and one summary.
 *
 * Real parts: the app (src/main.ts) as a child process, fake D3 and fake Slack as servers, sqlite.
 */
import { describe, expect, it } from 'vitest';
import { useChildApps } from '../support/child-fixture.ts';
import { slashCommandBody } from '../support/fixtures.ts';
import { signingSecret } from '../support/harness.ts';
import { postSigned } from '../support/sign.ts';

const N = '20200526-23';

describe('attack17: SIGKILL right after the early answer acknowledged a close', () => {
  const apps = useChildApps({ OUTBOX_INTERVAL_MS: '300', OUTBOX_CLAIM_TTL_MS: '1000' });

  it('the restart finishes it: one closure in D3, one summary, the analyst told once in place', async () => {
    const { d3, slack } = apps;
    const first = await apps.start();
    // D3 acts on the close but its answer never reaches the dying instance.
    d3.script('close', { fixture: 'close-ok.json', delayMs: 3_000 });
    const ack = await postSigned(
      first.eventsUrl,
      slashCommandBody('close-command.form', {
        text: `${N} benign scanner`,
        response_url: slack.responseUrl('analyst'),
        trigger_id: '7012345678901.4412345678.a17crash',
      }),
      { secret: signingSecret },
    );
    expect(ack.status).toBe(200);
    expect(ack.text).toBe(`Closing ${N}…`);
    first.kill('SIGKILL');
    await first.exited;

    await apps.start();
    await slack.waitFor(() => slack.responses('analyst').length >= 1, 15_000);
    await slack.waitFor(() => slack.messages('C1234').length >= 1, 10_000);
    // Anything told twice or posted twice has had its moment.
    await new Promise((r) => setTimeout(r, 1_500));
    const told = slack.responses('analyst') as Array<{ text: string; replace_original?: boolean }>;
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ replace_original: true });
    expect(told[0]?.text).toContain(`Closed ${N} in D3`);
    expect(slack.messages('C1234')).toHaveLength(1);
    expect(d3.incidents.get(N)?.status).toBe('Closed');
  }, 45_000);
});
