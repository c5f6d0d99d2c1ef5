import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMetadataSealer } from '../../src/slack/metadata.ts';
import { slashCommandPayload, viewSubmissionPayload } from '../support/fixtures.ts';
import { botToken, type Harness, startHarness } from '../support/harness.ts';

describe('Socket Mode', () => {
  let h: Harness;
  let triggers = 0;
  beforeEach(async () => {
    h = await startHarness({ env: { SLACK_APP_TOKEN: 'xapp-test-token', SLACK_SIGNING_SECRET: '' } });
    await h.slack.waitFor(() => h.slack.socket.connected() === 1);
  });
  afterEach(async () => {
    await h.stop();
  });

  const command = (text: string, responseId = 'default') =>
    h.slack.socket.send(
      'slash_commands',
      slashCommandPayload('close-command.form', {
        text,
        response_url: h.slack.responseUrl(responseId),
        trigger_id: `7012345678901.4412345678.${(++triggers).toString(16).padStart(8, '0')}`,
      }),
    );
  const submit = (values: { incident?: string | null; note?: string | null }) =>
    h.slack.socket.send(
      'interactive',
      viewSubmissionPayload('close-modal-submit.json', {
        values,
        privateMetadata: createMetadataSealer(botToken).seal({ channel: 'C1234' })!,
      }),
    );

  it('connects through apps.connections.open with the app token and takes no Slack requests over HTTP', async () => {
    const open = h.slack.calls('apps.connections.open');
    expect(open).toHaveLength(1);
    expect(open[0]!.headers.authorization).toBe('Bearer xapp-test-token');
    expect(h.bot.mode).toBe('socket');

    const res = await h.raw('token=x&command=%2Fclose-incident&text=help');
    expect(res.status).toBe(404);
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('closes from a slash command envelope: ack, one D3 close, summary in the channel, answer to the analyst', async () => {
    const ack = await command('20200526-23 False positive: benign scanner', 'sm-close');
    expect(ack.payload).toEqual({ text: expect.stringContaining('Closing 20200526-23') });

    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1);
    expect(h.d3.closeCalls().map((c) => c.body)).toEqual([
      {
        Username: 'jdoe',
        Site: 'Security Operations',
        CommandParams: { 'Incident Number': '20200526-23', 'Incident Note': 'False positive: benign scanner' },
      },
    ]);
    const post = h.slack.calls('chat.postMessage')[0]!.args;
    expect(post.channel).toBe('C1234');
    expect(post.text).toEqual(expect.stringContaining('20200526-23'));

    await h.slack.waitFor(() => h.slack.responses('sm-close').length === 1);
    expect(JSON.stringify(h.slack.responses('sm-close')[0])).toContain('20200526-23');
  });

  it('opens the modal for a command without text', async () => {
    const ack = await command('');
    expect(ack.envelope_id).toEqual(expect.any(String));
    await h.slack.waitFor(() => h.slack.calls('views.open').length === 1);
    const open = h.slack.calls('views.open')[0]!.args as { trigger_id: string; view: Record<string, unknown> };
    expect(open.trigger_id).toBe(`7012345678901.4412345678.${triggers.toString(16).padStart(8, '0')}`);
    expect(open.view.callback_id).toBe('close_incident_modal');
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('closes from a modal submission envelope and tells the analyst in the channel', async () => {
    const ack = await submit({ incident: '20200526-23', note: 'Benign scanner' });
    expect(ack.payload?.response_action).toBeUndefined();

    await h.slack.waitFor(() => h.slack.calls('chat.postEphemeral').length === 1);
    expect(h.d3.closeCalls().map((c) => c.body)).toMatchObject([
      { Username: 'jdoe', CommandParams: { 'Incident Number': '20200526-23', 'Incident Note': 'Benign scanner' } },
    ]);
    expect(h.slack.calls('chat.postMessage').map((c) => c.args.channel)).toEqual(['C1234']);
    expect(h.slack.calls('chat.postEphemeral')[0]!.args).toMatchObject({ channel: 'C1234', user: 'U1234' });
    expect(String(h.slack.calls('chat.postEphemeral')[0]!.args.text)).toContain('20200526-23');
  });

  it('answers a submission with field errors in the ack payload and calls no one', async () => {
    const ack = await submit({ incident: 'not a number!', note: null });
    expect(ack.payload).toMatchObject({ response_action: 'errors' });
    const errors = (ack.payload as { errors: Record<string, string> }).errors;
    expect(Object.keys(errors).sort()).toEqual(['incident_block', 'note_block']);
    expect(h.d3.requests()).toHaveLength(0);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(0);
  });

  it('serves /healthz and /readyz on the probe port', async () => {
    const health = await fetch(`${h.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${h.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, store: true, slack: true });
  });

  it('reports not ready while the WebSocket is down, and ready again once it reconnects', async () => {
    const readyStatus = async () => (await fetch(`${h.baseUrl}/readyz`)).status;
    h.slack.socket.disconnect('refresh_requested');
    const down = await pollUntil(readyStatus, (s) => s === 503, 5_000);
    expect(down).toBe(503);
    await h.slack.waitFor(() => h.slack.socket.connected() === 1, 15_000);
    expect(await pollUntil(readyStatus, (s) => s === 200, 5_000)).toBe(200);
    const ack = await command('help');
    expect(JSON.stringify(ack.payload)).toContain('/close-incident');
  }, 30_000);
});

async function pollUntil<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  let v = await read();
  while (!done(v) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 25));
    v = await read();
  }
  return v;
}
