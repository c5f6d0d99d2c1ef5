import { beforeEach, describe, expect, it } from 'vitest';
import type { ChildApp } from '../support/child-app.ts';
import { useChildApps } from '../support/child-fixture.ts';
import type { FakeD3 } from '../support/fake-d3.ts';
import type { FakeSlack } from '../support/fake-slack.ts';
import { slashCommandBody } from '../support/fixtures.ts';
import { signingSecret } from '../support/harness.ts';
import { postSigned } from '../support/sign.ts';

// Attack on "a confirmed closure is never lost" (issue 7.4/7.5) at the worst moment: the app dies after
// D3 has closed the incident and before the app has written anything about it (D3's answer is still on
// its way). Nothing in the outbox, so nothing to replay: the closure D3 made for this analyst, with
// their note, is never announced, and the analyst saw only "Closing…".
const N = '20200526-23';
const note = 'Crash while D3 acts: benign scanner on WS-0193';

describe('attack: SIGKILL while D3 is closing the incident', () => {
  const apps = useChildApps({
    OUTBOX_INTERVAL_MS: '300',
    D3_TIMEZONE: 'Asia/Shanghai',
  });
  let d3: FakeD3;
  let slack: FakeSlack;
  beforeEach(() => {
    ({ d3, slack } = apps);
  });

  const send = (child: ChildApp, text: string, id: string) =>
    postSigned(
      child.eventsUrl,
      slashCommandBody('close-command.form', {
        text,
        response_url: slack.responseUrl(id),
        trigger_id: `${Date.now()}.4412345678.${id}`,
      }),
      { secret: signingSecret },
    );

  it('does not credit a dead close with a later request’s closure (one post, the later note)', async () => {
    const first = await apps.start();
    // D3 never acts on this close (it is lost on the way); the app dies waiting for the answer.
    d3.script('close', { fixture: 'close-ok.json', delayMs: 5_000, acts: false });
    expect((await send(first, `${N} first note, never in D3`, 'first')).status).toBe(200);
    await slack.waitFor(() => d3.closeCalls().length === 1);
    first.kill('SIGKILL');
    await first.exited;

    // The replay at start-up cannot read D3's state (a hiccup), so the dead close's intent is still
    // pending when the analyst closes the incident again, successfully.
    d3.script('state', { status: 401, fixture: '401.json' });
    const second = await apps.start();
    await slack.waitFor(() => d3.requests().some((r) => r.command === 'getIncidentStaticField'), 10_000);
    await send(second, `${N} second note`, 'second');
    await slack.waitFor(() => slack.responses('second').length === 1, 10_000);
    // Either the restarted instance is still finishing the dead close from its durable queue (and says
    // so), or that close has settled and the new one closes it.
    expect(JSON.stringify(slack.responses('second')[0])).toMatch(new RegExp(`already closing|Closed ${N} in D3`));
    // Replays run every 300 ms: long enough for the dead close's intent to be settled.
    await new Promise((r) => setTimeout(r, 3_000));

    // Never the dead close credited with a closure it did not make: no post carries its note.
    const posts = slack.calls('chat.postMessage');
    expect(posts.length).toBeLessThanOrEqual(1);
    for (const p of posts) expect(String(p.args.text)).toContain('second note');
  }, 60_000);

  it('announces the closure once after a restart, from D3’s state, as this analyst’s', async () => {
    const first = await apps.start();
    // D3 acts on the close at once and answers two seconds later; the app dies in between.
    d3.script('close', { fixture: 'close-ok.json', delayMs: 2_000 });
    const ack = await postSigned(
      first.eventsUrl,
      slashCommandBody('close-command.form', {
        text: `${N} ${note}`,
        response_url: slack.responseUrl('analyst'),
        trigger_id: `${Date.now()}.4412345678.midclose`,
      }),
      { secret: signingSecret },
    );
    expect(ack.status).toBe(200);
    await slack.waitFor(() => d3.closeCalls().length === 1);
    await new Promise((r) => setTimeout(r, 200));
    first.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    expect(d3.incidents.get(N)?.status).toBe('Closed');

    const second = await apps.start();
    // The replay asks D3 once no close of the incident is under way (with Redis: once the dead close's lock lapses).
    await slack.waitFor(() => slack.calls('chat.postMessage').length >= 1, 60_000);
    await new Promise((r) => setTimeout(r, 1_000));

    const posts = slack.calls('chat.postMessage');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.args.channel).toBe('C1234');
    expect(String(posts[0]!.args.text)).toContain(`Incident ${N} closed`);
    expect(String(posts[0]!.args.text)).toContain('<@U1234>');
    expect(String(posts[0]!.args.text)).toContain(note);
    expect(d3.closeCalls()).toHaveLength(1);
    // The attempt that died with its process is put on record when it is settled.
    const audits = second
      .output()
      .split('\n')
      .filter((l) => l.includes('"audit"'))
      .map((l) => (JSON.parse(l) as { audit: Record<string, unknown> }).audit);
    expect(audits).toMatchObject([{ incidentNumber: N, outcome: 'closed' }]);
  }, 90_000);
});
