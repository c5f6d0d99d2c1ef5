/**
 * Promise broken: "A redelivered or double-submitted request is handled once", for a list.
 *
 * A bulk close marks `<trigger_id>:<number>` with once(); on sqlite that mark lived in the process only.
 * The app is SIGKILLed after D3 closed every incident of the list; Slack redelivers the same command
 * (same trigger_id) to the restart, which had forgotten the marks: each incident was sent to D3 a second
 * time and the analyst's list, in place of "Closing 3 incidents…", said "3 already closed" for the
 * incidents this very request had closed.
 *
 * Killed while posting the list's one summary, the restart also posted each incident's close intent as
 * a summary of its own beside the list's: every incident was announced twice in the channel.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createMetadataSealer } from '../../src/slack/metadata.ts';
import { useChildApps } from '../support/child-fixture.ts';
import type { FakeD3 } from '../support/fake-d3.ts';
import type { FakeSlack } from '../support/fake-slack.ts';
import { slashCommandBody, viewSubmissionBody } from '../support/fixtures.ts';
import { botToken, signingSecret } from '../support/harness.ts';
import { postSigned } from '../support/sign.ts';

const NUMBERS = ['20200526-23', '20200526-24', '20200526-31'];

describe('attack14: a bulk close redelivered to the restart after a crash', () => {
  const apps = useChildApps({ OUTBOX_INTERVAL_MS: '300', OUTBOX_CLAIM_TTL_MS: '1000' });
  let d3: FakeD3;
  let slack: FakeSlack;
  beforeEach(() => {
    ({ d3, slack } = apps);
  });

  const body = () =>
    slashCommandBody('close-command.form', {
      text: `${NUMBERS.join(',')} storm`,
      response_url: slack.responseUrl('analyst'),
      trigger_id: '1337.4412345678.redelivered',
    });

  it.each([['between D3 and the summary'], ['while D3 closes the last incident']])(
    'no second D3 close and no untrue answer when Slack redelivers the list after a SIGKILL %s',
    async (when) => {
      const first = await apps.start();
      if (when === 'between D3 and the summary') {
        slack.script('chat.postMessage', { hang: true });
        slack.onRequest((call) => {
          if (call.method === 'chat.postMessage' && call.hang) first.kill('SIGKILL');
        });
      } else {
        // D3 closes each at once; the last answer comes a while later and the app dies before it.
        d3.script('close', {}, {}, { fixture: 'close-ok.json', delayMs: 5_000 });
      }
      expect((await postSigned(first.eventsUrl, body(), { secret: signingSecret })).status).toBe(200);
      if (when !== 'between D3 and the summary') {
        await slack.waitFor(() => d3.closeCalls().length === 3, 10_000);
        first.kill('SIGKILL');
      }
      expect(await first.exited).toBe('SIGKILL');
      expect(d3.closeCalls()).toHaveLength(3);
      for (const n of NUMBERS) expect(d3.incidents.get(n)?.status).toBe('Closed');

      const before = slack.responses('analyst').length;
      const second = await apps.start();
      const again = await postSigned(second.eventsUrl, body(), {
        secret: signingSecret,
        headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
      });
      expect(again.status).toBe(200);
      await slack.waitFor(() => slack.messages('C1234').length >= 1, 10_000);
      await new Promise((r) => setTimeout(r, 1_500));

      const closeCalls = d3.closeCalls().length;
      // The redelivered list is answered in its acknowledgement (attack16), and nothing replaces it.
      const told = [
        again.text,
        ...slack
          .responses('analyst')
          .slice(before)
          .map((r) => JSON.stringify(r)),
      ].join('\n');
      console.log(`[attack14 ${when}] D3 close calls: ${closeCalls}; analyst's last message: ${told.slice(0, 300)}`);
      expect(closeCalls).toBe(3);
      expect(told).not.toMatch(/already closed|nothing changed|closed_by_other/i);
      expect(told).toMatch(/already received/);
      const announced = slack.messages('C1234').map((m) => String(m.text));
      for (const n of NUMBERS) expect(announced.filter((text) => text.includes(n))).toHaveLength(1);
    },
    60_000,
  );

  it('no second D3 close and no untrue answer when Slack redelivers the form with a list after a SIGKILL', async () => {
    const form = () =>
      viewSubmissionBody('close-modal-submit.json', {
        privateMetadata: createMetadataSealer(botToken).seal({ channel: 'C1234' })!,
        viewId: 'V0LISTCRASHED',
        values: { incident: NUMBERS.join('\n'), note: 'storm' },
      });
    const toAnalyst = () => [
      ...slack.calls('chat.postEphemeral').map((c) => String(c.args.text)),
      ...slack
        .calls('chat.postMessage')
        .filter((c) => c.args.channel === 'U1234')
        .map((c) => String(c.args.text)),
    ];
    const first = await apps.start();
    slack.script('chat.postMessage', { hang: true });
    slack.onRequest((call) => {
      if (call.method === 'chat.postMessage' && call.hang) first.kill('SIGKILL');
    });
    expect((await postSigned(first.eventsUrl, form(), { secret: signingSecret })).status).toBe(200);
    expect(await first.exited).toBe('SIGKILL');
    expect(d3.closeCalls()).toHaveLength(3);
    const before = toAnalyst().length;

    const second = await apps.start();
    const again = await postSigned(second.eventsUrl, form(), {
      secret: signingSecret,
      headers: { 'x-slack-retry-num': '1' },
    });
    expect(again.status).toBe(200);
    await slack.waitFor(() => toAnalyst().some((t) => t.includes('already received')), 10_000);
    await new Promise((r) => setTimeout(r, 1_500));

    const told = toAnalyst().slice(before);
    console.log(
      `[attack14 form] D3 close calls: ${d3.closeCalls().length}; told after the restart: ${JSON.stringify(told)}`,
    );
    expect(d3.closeCalls()).toHaveLength(3);
    expect(told.join('\n')).not.toMatch(/already closed|nothing changed/i);
    const announced = slack.messages('C1234').map((m) => String(m.text));
    for (const n of NUMBERS) expect(announced.filter((text) => text.includes(n))).toHaveLength(1);
  }, 60_000);
});
