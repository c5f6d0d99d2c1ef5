import { createHmac } from 'node:crypto';
import { isValidSlackRequest } from '@slack/bolt';
import { LogLevel, SocketModeClient } from '@slack/socket-mode';
import { ErrorCode, WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack, waitFor } from '../support/fake-slack.ts';
import { slashCommandBody, slashCommandPayload, viewSubmissionBody } from '../support/fixtures.ts';
import { postSigned, signSlackRequest } from '../support/sign.ts';

const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Closed* 20200526-23' } }];

describe('fake Slack', () => {
  let slack: FakeSlack;
  let web: WebClient;

  beforeEach(async () => {
    slack = await startFakeSlack({ users: { U1234: { email: 'jdoe@acme.test' } }, userGroups: { S1: ['U1234'] } });
    web = new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  });
  afterEach(() => slack.stop());

  it('records chat.postMessage with its blocks decoded from the form body WebClient sends', async () => {
    const res = await web.chat.postMessage({ channel: 'C1234', text: 'Closed 20200526-23', blocks });

    expect(res).toMatchObject({ ok: true, channel: 'C1234', ts: expect.stringMatching(/^\d+\.\d{6}$/) });
    expect(slack.calls('chat.postMessage')).toMatchObject([
      {
        args: { channel: 'C1234', text: 'Closed 20200526-23', blocks },
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer xoxb-test-token' },
      },
    ]);
  });

  it('answers users.info, usergroups.users.list and auth.test from its options', async () => {
    await expect(web.users.info({ user: 'U1234' })).resolves.toMatchObject({
      user: { id: 'U1234', profile: { email: 'jdoe@acme.test' } },
    });
    await expect(web.usergroups.users.list({ usergroup: 'S1' })).resolves.toMatchObject({ users: ['U1234'] });
    await expect(web.auth.test()).resolves.toMatchObject({ user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1234' });
    await expect(web.users.info({ user: 'U9999' })).rejects.toMatchObject({ data: { error: 'user_not_found' } });
  });

  it('surfaces a scripted not_in_channel as WebClient platform error, then answers normally', async () => {
    slack.script('chat.postMessage', { error: 'not_in_channel' });

    await expect(web.chat.postMessage({ channel: 'C1234', text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.PlatformError,
      data: { ok: false, error: 'not_in_channel' },
    });
    await expect(web.chat.postMessage({ channel: 'C1234', text: 'x' })).resolves.toMatchObject({ ok: true });
    expect(slack.calls('chat.postMessage')).toHaveLength(2);
  });

  it('refuses a wrong bot token', async () => {
    const stranger = new WebClient('xoxb-wrong', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });

    await expect(stranger.auth.test()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
  });

  it('scripts rate limits and HTTP errors the way WebClient reports them', async () => {
    const strict = new WebClient('xoxb-test-token', {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });
    slack.script('chat.postMessage', { status: 429, headers: { 'retry-after': '7' } }, { status: 500 });

    await expect(strict.chat.postMessage({ channel: 'C1234', text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.RateLimitedError,
      retryAfter: 7,
    });
    await expect(strict.chat.postMessage({ channel: 'C1234', text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.HTTPError,
      statusCode: 500,
    });
  });

  it('keeps a hung call out of calls() and tells onRequest it arrived', async () => {
    const impatient = new WebClient('xoxb-test-token', {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
      timeout: 200,
      logLevel: LogLevel.ERROR,
    });
    const seen: Array<{ method: string; hang: boolean }> = [];
    slack.onRequest(({ method, hang }) => seen.push({ method, hang }));
    slack.script('chat.postMessage', { hang: true });

    await expect(impatient.chat.postMessage({ channel: 'C1234', text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.RequestError,
    });
    expect(seen).toEqual([{ method: 'chat.postMessage', hang: true }]);
    expect(slack.hung('chat.postMessage')).toMatchObject([{ args: { channel: 'C1234' } }]);
    expect(slack.calls()).toEqual([]);
  });

  it('records JSON posted to a response_url', async () => {
    const res = await fetch(slack.responseUrl('cmd-1'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', text: 'Closed' }),
    });

    expect(res.status).toBe(200);
    expect(slack.responses('cmd-1')).toEqual([{ response_type: 'ephemeral', text: 'Closed' }]);
    await expect(waitFor(() => slack.responses().length > 1, 50)).rejects.toThrow(/still false after 50 ms/);
  });

  it('delivers a slash command to a real SocketModeClient and returns its ack', async () => {
    const client = new SocketModeClient({
      appToken: 'xapp-test-token',
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: slack.apiUrl },
    });
    client.on('slash_commands', ({ ack, body }) => ack({ text: `Closing ${body.text.split(' ')[0]}` }));
    await client.start();

    try {
      expect(slack.socket.connected()).toBe(1);
      const ack = await slack.socket.send('slash_commands', slashCommandPayload('close-command'));

      expect(ack).toEqual({ envelope_id: expect.any(String), payload: { text: 'Closing 20200526-23' } });
      expect(slack.calls('apps.connections.open')).toMatchObject([
        { headers: { authorization: 'Bearer xapp-test-token' } },
      ]);
    } finally {
      await client.disconnect();
    }
    await waitFor(() => slack.socket.connected() === 0);
  });
});

describe('signing', () => {
  it('matches an HMAC computed independently and passes Bolt’s own verifier', () => {
    const body = slashCommandBody('close-command', { text: 'a b&c' });
    const expected = createHmac('sha256', 'shhh').update(`v0:1590490000:${body}`).digest('hex');

    const headers = signSlackRequest(body, 'shhh', { timestampS: 1590490000 });

    expect(headers).toEqual({ 'x-slack-signature': `v0=${expected}`, 'x-slack-request-timestamp': '1590490000' });
    expect(
      isValidSlackRequest({
        signingSecret: 'shhh',
        body,
        headers: { 'x-slack-signature': headers['x-slack-signature'], 'x-slack-request-timestamp': 1590490000 },
        nowMilliseconds: 1590490000_000,
      }),
    ).toBe(true);
  });

  it('posts the exact bytes it signed', async () => {
    const slack = await startFakeSlack();
    try {
      const body = 'token=xoxb-test-token';
      const res = await postSigned(`${slack.apiUrl}auth.test`, body, { secret: 'shhh', timestampS: 1590490000 });

      expect(res).toMatchObject({ status: 200, json: { ok: true, user_id: 'UBOT' } });
      expect(res.ms).toBeGreaterThan(0);
      expect(slack.calls('auth.test')[0]?.headers).toMatchObject(
        signSlackRequest(body, 'shhh', { timestampS: 1590490000 }),
      );
    } finally {
      await slack.stop();
    }
  });
});

describe('fixtures', () => {
  it('patches a recorded slash command and re-encodes it as Slack does', () => {
    const body = slashCommandBody('close-command', { text: '20200526-23 Done: 100%', response_url: 'http://x/r' });
    const fields = new URLSearchParams(body);

    expect(body).toContain('text=20200526-23+Done%3A+100%25');
    expect(fields.get('response_url')).toBe('http://x/r');
    expect(fields.get('user_id')).toBe('U1234');
    expect(new URLSearchParams(slashCommandBody('close-command-no-text')).get('text')).toBe('');
  });

  it('patches a recorded view_submission and wraps it in payload=', () => {
    const body = viewSubmissionBody('close-modal-submit', { values: { note: null }, userId: 'U9', viewId: 'V9' });
    const payload = JSON.parse(new URLSearchParams(body).get('payload') ?? '{}');

    expect(payload).toMatchObject({
      type: 'view_submission',
      user: { id: 'U9' },
      view: {
        id: 'V9',
        callback_id: 'close_incident_modal',
        private_metadata: '{"channel":"C1234"}',
        state: {
          values: {
            incident_block: { incident_input: { value: '20200526-23' } },
            note_block: { note_input: { type: 'plain_text_input', value: null } },
          },
        },
      },
    });
  });
});
