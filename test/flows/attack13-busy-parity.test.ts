import { afterEach, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { slashCommandPayload } from '../support/fixtures.ts';
import { botToken, type Harness, startHarness } from '../support/harness.ts';

const busyText = /too many closes/i;
const workspaceText = /only takes requests from the Slack workspace it is installed in/;

/**
 * The busy refusal answered before Bolt (HTTP) and the listener's (Socket Mode, which has no early
 * answer) say the same thing to the same requests: an org-wide install's other organisation gets the
 * workspace refusal, not "busy"; its own workspaces get "busy"; a Socket Mode close is refused in its ack.
 */
describe('the busy refusal, wherever it is decided', () => {
  let h: Harness | undefined;
  let slack: FakeSlack | undefined;
  afterEach(async () => {
    await h?.stop();
    await slack?.stop();
    h = undefined;
    slack = undefined;
  });

  const fillD3Queue = async (send: (text: string) => Promise<unknown>) => {
    h!.d3.script('close', { fixture: 'close-ok.json', delayMs: 1500 });
    await send('INC-1 first');
    await h!.slack.waitFor(() => h!.d3.closeCalls().length === 1);
    await send('INC-2 second');
    for (let i = 0; i < 100; i++) {
      const metrics = await (await fetch(`${h!.baseUrl}/metrics`)).text();
      if (/^close_incident_d3_queue_depth 1$/m.test(metrics)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the D3 queue never filled');
  };

  it('org-wide install over HTTP: another org is refused as an outsider, the org’s own workspace as busy', async () => {
    slack = await startFakeSlack({
      botToken,
      installation: { teamId: 'E1', enterpriseId: 'E1', enterpriseInstall: true },
    });
    h = await startHarness({ slack, env: { D3_MAX_RPS: '1', D3_QUEUE_MAX: '1' } });
    await fillD3Queue((text) => h!.command({ team_id: 'T5555', enterprise_id: 'E1', text }));

    const other = await h.command({ team_id: 'T5555', enterprise_id: 'E2', text: 'INC-3 from another org' });
    const noOrg = await h.command({ team_id: 'T5555', text: 'INC-4 without an org' });
    const own = await h.command({ team_id: 'T7777', enterprise_id: 'E1', text: 'INC-5 from the org' });

    expect(other.text).toMatch(workspaceText);
    expect(noOrg.text).toMatch(workspaceText);
    expect(own.text).toMatch(busyText);
    await slack.waitFor(() => slack!.calls('chat.postMessage').length === 2, 10_000);
    expect(h.d3.closeCalls()).toHaveLength(2);
  });

  it('Socket Mode: a close while D3’s queue is full is refused in its acknowledgement by the listener', async () => {
    h = await startHarness({
      env: { SLACK_APP_TOKEN: 'xapp-test-token', SLACK_SIGNING_SECRET: '', D3_MAX_RPS: '1', D3_QUEUE_MAX: '1' },
    });
    await h.slack.waitFor(() => h!.slack.socket.connected() === 1);
    let n = 0;
    const command = (text: string) =>
      h!.slack.socket.send(
        'slash_commands',
        slashCommandPayload('close-command.form', {
          text,
          response_url: h!.slack.responseUrl(`sm${n}`),
          trigger_id: `7012345678901.4412345678.${(++n).toString(16).padStart(8, '0')}`,
        }),
      );
    await fillD3Queue(command);

    const refused = await command('INC-3 third');
    expect(JSON.stringify(refused.payload)).toMatch(busyText);
    expect(JSON.stringify(refused.payload)).toContain('INC-3');
    await h.slack.waitFor(() => h!.slack.calls('chat.postMessage').length === 2, 10_000);
    expect(h.d3.closeCalls()).toHaveLength(2);
    expect(h.logs()).toContain('close attempt: refused (queue_full)');
  });
});
