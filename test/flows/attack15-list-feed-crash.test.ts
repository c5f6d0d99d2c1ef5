/**
 * Promise broken: README, "A list keeps the single close's promises": "a crash while the list's one
 * summary is posted leaves that summary to announce them (the intents it names are dropped, not posted
 * again one by one)" (close-intent.ts: an intent is dropped when "the list's one summary, still pending,
 * names its incident").
 *
 * The replay looked for that summary under the request's id only. With SUMMARY_FEED_CHANNEL_ID the list's
 * summary is two outbox entries, `<requestId>` (the channel) and `<requestId>.feed` (the feed's copy);
 * a not_in_channel fallback is a third, `<requestId>.origin`. Killed after the channel's post went out and
 * while the feed's copy was still being posted, the restart found only `<requestId>.feed` pending: each
 * incident's close intent was settled in D3 and posted on its own, so the channel announced every
 * incident of the list twice (the list, then one post per incident).
 *
 * Real parts: the app as a child process SIGKILLed, restarted on the same sqlite file, fake D3 and fake
 * Slack as servers, a signed slash command.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { useChildApps } from '../support/child-fixture.ts';
import type { FakeD3 } from '../support/fake-d3.ts';
import type { FakeSlack } from '../support/fake-slack.ts';
import { slashCommandBody } from '../support/fixtures.ts';
import { signingSecret } from '../support/harness.ts';
import { postSigned } from '../support/sign.ts';

const NUMBERS = ['20200526-23', '20200526-24', '20200526-31'];
const FEED = 'CFEED0001';

describe('attack15: a list killed while its summary goes to the feed', () => {
  const apps = useChildApps({ OUTBOX_INTERVAL_MS: '300', SUMMARY_FEED_CHANNEL_ID: FEED });
  let d3: FakeD3;
  let slack: FakeSlack;
  beforeEach(() => {
    ({ d3, slack } = apps);
  });

  it('each incident is announced once in the channel after a SIGKILL while the feed copy is posted', async () => {
    const first = await apps.start();
    // The channel's post is answered; the feed's copy never is, and the app dies a second later.
    slack.script('chat.postMessage', {}, { hang: true });
    slack.onRequest((call) => {
      if (call.method === 'chat.postMessage' && call.hang) setTimeout(() => first.kill('SIGKILL'), 1_000);
    });
    const body = slashCommandBody('close-command.form', {
      text: `${NUMBERS.join(',')} storm`,
      response_url: slack.responseUrl('analyst'),
      trigger_id: '1337.4412345678.feedcrash',
    });
    expect((await postSigned(first.eventsUrl, body, { secret: signingSecret })).status).toBe(200);
    expect(await first.exited).toBe('SIGKILL');
    expect(d3.closeCalls()).toHaveLength(3);
    const hung = slack.hung('chat.postMessage').map((c) => c.args.channel);
    // The race this test is about: the channel's post made, the feed's hung.
    expect(hung).toEqual([FEED]);
    expect(slack.messages('C1234')).toHaveLength(1);

    await apps.start();
    await slack.waitFor(() => slack.messages(FEED).length >= 1, 15_000);
    await new Promise((r) => setTimeout(r, 3_000));
    const announced = slack.messages('C1234').map((m) => String(m.text));
    console.log(`[attack15 feed crash] posts in the channel after the restart: ${JSON.stringify(announced)}`);
    for (const n of NUMBERS) expect(announced.filter((text) => text.includes(n))).toHaveLength(1);
  }, 60_000);
});
