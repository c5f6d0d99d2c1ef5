import { beforeEach, describe, expect, it } from 'vitest';
import { useChildApps } from '../support/child-fixture.ts';
import type { FakeD3 } from '../support/fake-d3.ts';
import type { FakeSlack } from '../support/fake-slack.ts';
import { slashCommandBody } from '../support/fixtures.ts';
import { signingSecret } from '../support/harness.ts';
import { postSigned } from '../support/sign.ts';

describe('attack 8: a bulk close cut off by a crash', () => {
  const apps = useChildApps({
    OUTBOX_INTERVAL_MS: '300',
    OUTBOX_CLAIM_TTL_MS: '500',
    D3_CLOSE_COMMAND: 'CloseIncidentInBulk',
    D3_BULK_CHUNK: '2',
  });
  let d3: FakeD3;
  let slack: FakeSlack;
  beforeEach(() => {
    ({ d3, slack } = apps);
  });
  const start = async () => {
    const child = await apps.start();
    return child;
  };

  it('announces the incidents D3 confirmed before a SIGKILL cut the list short, and not the one it never closed', async () => {
    // First chunk (23, 24) answered at once; the second chunk (31) hangs in D3 until the app is killed.
    d3.script('close', {}, { delayMs: 120_000 });
    const first = await start();
    const ack = await postSigned(
      first.eventsUrl,
      slashCommandBody('close-command.form', {
        text: '20200526-23,20200526-24,20200526-31 storm',
        response_url: slack.responseUrl('analyst'),
        trigger_id: `${Date.now()}.4412345678.crash`,
      }),
      { secret: signingSecret },
    );
    expect(ack.status).toBe(200);
    await slack.waitFor(() => d3.closeCalls().length === 2, 15_000);
    first.kill('SIGKILL');
    await first.exited;
    expect(d3.incidents.get('20200526-23')?.status).toBe('Closed');
    expect(slack.calls('chat.postMessage')).toHaveLength(0);

    await start();
    await slack.waitFor(() => {
      const text = JSON.stringify(slack.calls('chat.postMessage').map((c) => c.args.text));
      return text.includes('20200526-23') && text.includes('20200526-24');
    }, 15_000);
    const posted = JSON.stringify(slack.calls('chat.postMessage').map((c) => c.args.text));
    expect(posted).not.toContain('20200526-31');
  }, 60_000);
});
