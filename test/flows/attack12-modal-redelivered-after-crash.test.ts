/**
 * Promise broken: "A redelivered or double-submitted request is handled once" (`once()` on the view's id)
 * and "never lets … a closure be announced twice / told falsely".
 *
 * On sqlite, locks and request marks live in the process (README: one process). A modal close is
 * acknowledged once stored, runs, and D3 closes the incident; the app is SIGKILLed while it posts the
 * summary. Slack redelivers the same view_submission (same view id) to the restart, which has forgotten
 * the mark: the redelivery is sent to D3 as a second close, and the analyst, already told "Closed" by the
 * takeover, is also told the incident "was already closed … nothing changed". Killed while D3 closed
 * (D3 acted, its answer never read), the redelivery won the race for the forgotten mark: two D3 closes,
 * and the analyst was told only "already closed … nothing changed" (the taken-over close, finding the
 * redelivery's mark, told nothing).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createMetadataSealer } from '../../src/slack/metadata.ts';
import { useChildApps } from '../support/child-fixture.ts';
import type { FakeD3 } from '../support/fake-d3.ts';
import type { FakeSlack } from '../support/fake-slack.ts';
import { viewSubmissionBody } from '../support/fixtures.ts';
import { botToken, signingSecret } from '../support/harness.ts';
import { postSigned } from '../support/sign.ts';

const N = '20200526-23';

describe('attack12: a form close redelivered to the restart after a crash', () => {
  const apps = useChildApps({ OUTBOX_INTERVAL_MS: '300', OUTBOX_CLAIM_TTL_MS: '1000' });
  let d3: FakeD3;
  let slack: FakeSlack;
  beforeEach(() => {
    ({ d3, slack } = apps);
  });

  const body = (note: string) =>
    viewSubmissionBody('close-modal-submit.json', {
      privateMetadata: createMetadataSealer(botToken).seal({ channel: 'C1234' })!,
      viewId: 'V0CRASHED',
      values: { incident: N, note },
    });
  /** Everything the analyst was sent: ephemeral replies and DMs. */
  const toAnalyst = () => [
    ...slack.calls('chat.postEphemeral').map((c) => String(c.args.text)),
    ...slack
      .calls('chat.postMessage')
      .filter((c) => c.args.channel === 'U1234')
      .map((c) => String(c.args.text)),
  ];

  it.each([
    [
      'Slack redelivers the same submission',
      'between D3 and the summary',
      'benign scanner',
      { 'x-slack-retry-num': '1' },
    ],
    ['the same view comes again with another note', 'between D3 and the summary', 'benign scanner, second try', {}],
    ['Slack redelivers the same submission', 'while D3 closes', 'benign scanner', { 'x-slack-retry-num': '1' }],
  ])(
    'one D3 close and a true answer when %s after a SIGKILL %s',
    async (_, when, note, headers) => {
      const first = await apps.start();
      if (when === 'while D3 closes') {
        // D3 acts at once and answers a second later; the app dies in between.
        d3.script('close', { fixture: 'close-ok.json', delayMs: 1_000 });
      } else {
        slack.script('chat.postMessage', { hang: true });
        slack.onRequest((call) => {
          if (call.method === 'chat.postMessage' && call.hang) first.kill('SIGKILL');
        });
      }
      expect((await postSigned(first.eventsUrl, body('benign scanner'), { secret: signingSecret })).status).toBe(200);
      if (when === 'while D3 closes') {
        await slack.waitFor(() => d3.closeCalls().length === 1, 5_000);
        first.kill('SIGKILL');
      }
      expect(await first.exited).toBe('SIGKILL');
      expect(d3.closeCalls()).toHaveLength(1);

      const second = await apps.start();
      const again = await postSigned(second.eventsUrl, body(note), { secret: signingSecret, headers });
      expect(again.status).toBe(200);
      await slack.waitFor(() => toAnalyst().some((t) => t.includes(`Closed ${N} in D3`)), 10_000);
      await slack.waitFor(() => toAnalyst().length >= 2, 5_000).catch(() => {});
      await new Promise((r) => setTimeout(r, 1_500));

      expect(d3.closeCalls()).toHaveLength(1);
      expect(slack.messages('C1234')).toHaveLength(1);
      expect(toAnalyst().filter((t) => t.includes(`Closed ${N} in D3`))).toHaveLength(1);
      expect(toAnalyst().join('\n')).not.toMatch(/already closed|nothing changed/);
    },
    60_000,
  );
});
