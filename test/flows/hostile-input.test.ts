import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMetadataSealer } from '../../src/slack/metadata.ts';
import { slashCommandBody, viewSubmissionBody } from '../support/fixtures.ts';
import { botToken, type Harness, signingSecret, startHarness } from '../support/harness.ts';

const form = 'application/x-www-form-urlencoded';
const MB = 1024 * 1024;

/** Slack's v0 signature over raw bytes, which need not be UTF-8. */
function signBytes(body: Buffer, timestampS = Math.floor(Date.now() / 1000)) {
  const hex = createHmac('sha256', signingSecret).update(`v0:${timestampS}:`).update(body).digest('hex');
  return { 'x-slack-signature': `v0=${hex}`, 'x-slack-request-timestamp': String(timestampS) };
}

async function postBytes(url: string, body: Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': form, ...signBytes(body), ...headers },
    body,
  });
  return { status: res.status, text: await res.text() };
}

/**
 * Writes `head` and `body` on a bare socket (so Content-Length and framing can lie), half-closes it,
 * and resolves with the status code of the answer, or 'closed' when the server hung up without one.
 */
function rawExchange(port: number, head: string, body: Buffer): Promise<number | 'closed'> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? undefined : reject(e)));
    socket.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      resolve(m ? Number(m[1]) : 'closed');
    });
    socket.on('connect', () => {
      socket.write(head.replace(/\n/g, '\r\n'));
      socket.end(body);
    });
  });
}

describe('hostile and malformed requests to the Slack endpoint', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  const command = (patch: Record<string, string | undefined> = {}) =>
    slashCommandBody('close-command.form', { response_url: h.slack.responseUrl(), ...patch });
  const nowS = () => Math.floor(Date.now() / 1000);

  it.each([
    ['a bad signature', { signature: `v0=${'0'.repeat(64)}` }],
    ['a signature of another scheme', { signature: 'v1=abc' }],
    ['an empty signature', { signature: '' }],
    ['a timestamp 5 minutes and 1 second old', { timestampS: nowS() - 301 }],
    ['a timestamp 6 minutes in the future', { timestampS: nowS() + 360 }],
    ['a timestamp that is not a number', { headers: { 'x-slack-request-timestamp': 'yesterday' } }],
    ['a negative timestamp', { headers: { 'x-slack-request-timestamp': '-1' } }],
  ])('refuses %s with 401 and calls no one', async (_name, opts) => {
    const res = await h.raw(command(), opts);
    expect(res.status).toBe(401);
    expect(h.d3.requests()).toHaveLength(0);
    expect(h.slack.responses()).toHaveLength(0);
  });

  it('refuses a request with no signature headers at all', async () => {
    const res = await fetch(h.eventsUrl, { method: 'POST', headers: { 'content-type': form }, body: command() });
    expect(res.status).toBe(401);
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('refuses a correctly signed body of 1 MB and 1 byte with 413', async () => {
    const body = command({ text: `20200526-23 ${'a'.repeat(MB)}` });
    const padded = Buffer.from(body).subarray(0, MB + 1);
    const res = await postBytes(h.eventsUrl, padded);
    expect(res.status).toBe(413);
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('reads a correctly signed body of exactly 1 MB and refuses the oversized note politely', async () => {
    const base = `${command({ text: undefined })}&text=20200526-23+`;
    const body = `${base}${'a'.repeat(MB - base.length)}`;
    expect(Buffer.byteLength(body)).toBe(MB);
    const res = await h.raw(body);
    expect(res.status).toBe(200);
    await h.slack.waitFor(() => h.slack.responses().length === 1);
    expect(JSON.stringify(h.slack.responses()[0])).toMatch(/3,?000/);
    expect(h.d3.requests()).toHaveLength(0);
  });

  it.each([2, 40])(
    'refuses a %i MB chunked body with 413 and keeps serving on the same connection pool',
    async (mb) => {
      const piece = Buffer.alloc(64 * 1024, 0x61);
      const body = new ReadableStream({
        start(c) {
          c.enqueue(Buffer.from(command({ text: undefined })));
          for (let i = 0; i < mb * 16; i++) c.enqueue(piece);
          c.close();
        },
      });
      const headers = { 'content-type': form, ...signBytes(Buffer.from('unknown in advance')) };
      const res = await fetch(h.eventsUrl, { method: 'POST', headers, body, duplex: 'half' } as RequestInit);
      expect(res.status).toBe(413);
      await res.text();
      expect((await fetch(`${h.baseUrl}/healthz`)).status).toBe(200);
      expect((await h.command()).status).toBe(200);
      await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1);
      expect(h.d3.closeCalls()).toHaveLength(1);
    },
  );

  it('refuses a Content-Length over 1 MB before reading the body', async () => {
    const body = Buffer.from(command());
    const head = `POST /slack/events HTTP/1.1\nHost: x\nContent-Type: ${form}\nContent-Length: ${2 * MB}\nx-slack-signature: ${signBytes(body)['x-slack-signature']}\nx-slack-request-timestamp: ${nowS()}\n\n`;
    expect(await rawExchange(h.bot.port, head, body)).toBe(413);
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('refuses a Content-Length shorter than the signed body: what is read does not match the signature', async () => {
    const body = Buffer.from(command());
    const sig = signBytes(body);
    const head = `POST /slack/events HTTP/1.1\nHost: x\nContent-Type: ${form}\nContent-Length: ${body.length - 40}\nx-slack-signature: ${sig['x-slack-signature']}\nx-slack-request-timestamp: ${sig['x-slack-request-timestamp']}\n\n`;
    // 401 for the request, or Node's 400 for the left-over bytes read as a second request, whichever is first.
    expect([400, 401]).toContain(await rawExchange(h.bot.port, head, body));
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('gives up on a Content-Length longer than the body the client sent, without a 5xx', async () => {
    const body = Buffer.from(command());
    const sig = signBytes(body);
    const head = `POST /slack/events HTTP/1.1\nHost: x\nContent-Type: ${form}\nContent-Length: ${body.length + 100}\nx-slack-signature: ${sig['x-slack-signature']}\nx-slack-request-timestamp: ${sig['x-slack-request-timestamp']}\n\n`;
    const status = await rawExchange(h.bot.port, head, body);
    expect(status === 'closed' || (status >= 400 && status < 500)).toBe(true);
    expect(h.d3.requests()).toHaveLength(0);
  });

  it.each([
    ['a Content-Length that is not a number', 'Content-Length: lots'],
    ['both Content-Length and chunked framing', 'Content-Length: 10\nTransfer-Encoding: chunked'],
    ['two different Content-Lengths', 'Content-Length: 10\nContent-Length: 11'],
  ])('answers %s with 400', async (_name, framing) => {
    const body = Buffer.from(command());
    const sig = signBytes(body);
    const head = `POST /slack/events HTTP/1.1\nHost: x\nContent-Type: ${form}\n${framing}\nx-slack-signature: ${sig['x-slack-signature']}\nx-slack-request-timestamp: ${sig['x-slack-request-timestamp']}\n\n`;
    expect(await rawExchange(h.bot.port, head, body)).toBe(400);
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('refuses a correctly signed body that is not UTF-8 with 400', async () => {
    const body = Buffer.concat([Buffer.from(command({ text: '20200526-23 ' })), Buffer.from([0xc3, 0x28, 0xff, 0xfe])]);
    const res = await postBytes(h.eventsUrl, body);
    expect(res.status).toBe(400);
    expect(h.d3.requests()).toHaveLength(0);
  });

  it.each([
    ['percent-encodes bytes that are not UTF-8', '20200526-23+%C3%28%FF'],
    ['has a broken percent escape', '20200526-23+100%+sure'],
  ])('refuses with 400 a form whose text %s, rather than guessing', async (_name, text) => {
    const res = await h.raw(`${command({ text: undefined })}&text=${text}`);
    expect(res.status).toBe(400);
    expect(h.d3.requests()).toHaveLength(0);
  });

  it.each([
    ['a truncated payload', 'payload=%7B%22type', 400],
    ['a payload that is not JSON', 'payload=not json', 400],
    ['a payload that is a JSON array', 'payload=[]', 400],
    ['a payload that is a JSON string', 'payload=%22view_submission%22', 400],
    ['a payload that is JSON null', 'payload=null', 400],
    ['a payload of an unknown type', `payload=${encodeURIComponent('{"type":"something_else"}')}`, 404],
    ['an empty body', '', 404],
    ['a form with no known fields', 'a=1&b=2', 404],
  ])('refuses %s with a 4xx and calls no one', async (_name, body, status) => {
    const res = await h.raw(body);
    expect(res.status).toBe(status);
    expect(h.d3.requests()).toHaveLength(0);
    expect(h.slack.calls().map((c) => c.method)).toEqual(['auth.test']);
  });

  it.each([
    ['text/plain', 415],
    ['multipart/form-data; boundary=x', 415],
    ['', 415],
  ])('refuses a signed slash command sent as %j', async (contentType, status) => {
    const res = await h.raw(command(), { contentType });
    expect(res.status).toBe(status);
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('refuses a slash command sent as JSON: Slack sends commands as forms only', async () => {
    const fields = Object.fromEntries(new URLSearchParams(command()));
    const res = await h.raw(JSON.stringify(fields), { contentType: 'application/json' });
    expect(res.status).toBe(400);
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('answers a slash command for another command name with 404', async () => {
    const res = await h.raw(command({ command: '/other' }));
    expect(res.status).toBe(404);
    expect(h.d3.requests()).toHaveLength(0);
    expect(h.slack.responses()).toHaveLength(0);
  });

  it.each([
    ['no user_id', { user_id: undefined }],
    ['no channel_id', { channel_id: undefined }],
    ['no trigger_id', { trigger_id: undefined }],
    ['no response_url', { response_url: undefined }],
    ['a bot id for user_id', { user_id: 'B0BOT' }],
    ['a lower-case user_id', { user_id: 'u1234' }],
    ['a channel name for channel_id', { channel_id: 'general' }],
    ['a response_url that is not a URL', { response_url: 'hooks.slack.com/commands/1' }],
    ['a response_url without a scheme', { response_url: '//127.0.0.1/response/x' }],
    ['a response_url of another scheme', { response_url: 'file:///etc/passwd' }],
  ])('refuses a slash command with %s with 400 and calls no one', async (_name, patch) => {
    const res = await h.raw(command(patch));
    expect(res.status).toBe(400);
    expect(h.d3.requests()).toHaveLength(0);
    expect(h.slack.calls().map((c) => c.method)).toEqual(['auth.test']);
  });

  it('refuses a view submission without a user or view with 400', async () => {
    const payload = (o: object) => new URLSearchParams({ payload: JSON.stringify(o) }).toString();
    const noView = await h.raw(payload({ type: 'view_submission', user: { id: 'U1234' } }));
    const noUser = await h.raw(
      payload({ type: 'view_submission', view: { id: 'V1', callback_id: 'close_incident_modal' } }),
    );
    expect([noView.status, noUser.status]).toEqual([400, 400]);
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('refuses a block action without a user or actions with 400 (buttons and the modal preview are served)', async () => {
    const payload = (o: object) => new URLSearchParams({ payload: JSON.stringify(o) }).toString();
    const res = await h.raw(payload({ type: 'block_actions', actions: 'x', user: null }));
    expect(res.status).toBe(400);
    expect(h.d3.requests()).toHaveLength(0);
  });

  it.each([
    ['a malformed Events API body', { type: 'event_callback', event: null }, 400],
    ['a malformed block action', { type: 'block_actions', actions: 'x', user: null }, 400],
    ['a malformed message shortcut', { type: 'message_action', message: null }, 400],
    ['a global shortcut (the app declares none)', { type: 'shortcut', team: null }, 404],
  ])('answers %s with 4xx, never handing it to Bolt', async (_name, body, status) => {
    const json = await h.raw(JSON.stringify(body), { contentType: 'application/json' });
    const payload = await h.raw(new URLSearchParams({ payload: JSON.stringify(body) }).toString());
    expect(json.status).toBe(400);
    expect(payload.status).toBe(status);
    expect(h.slack.calls('views.open')).toHaveLength(0);
  });

  it.each([
    ['a space and punctuation', '20200526-23; DROP TABLE'],
    ['a path', '../../etc/passwd'],
    ['a broadcast', '<!channel>'],
    ['no digit', 'INCIDENT'],
    ['65 characters', `1${'a'.repeat(64)}`],
    ['full-width digits', '２０２００５２６-２３'],
    ['a zero-width space', '20200526\u200b-23'],
    // One number per line is a bulk close (issue 8 part 3); a bad line still refuses the whole list.
    ['a new line and a bad line', '20200526-23\n20200526 23;'],
  ])('shows a field error for an incident number with %s in the modal, and calls no one', async (_name, incident) => {
    const res = await h.submit({ values: { incident, note: 'looks fine' } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ response_action: 'errors', errors: { incident_block: expect.any(String) } });
    expect(h.d3.requests()).toHaveLength(0);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(0);
  });

  const sealed = createMetadataSealer(botToken).seal({ channel: 'C1234' })!;
  const sealedOuter = JSON.parse(sealed) as { d: string; s: string };
  it.each([
    ['a forged signature', JSON.stringify({ d: '{"channel":"C1234"}', s: 'A'.repeat(43) })],
    ['another channel under the real signature', JSON.stringify({ d: '{"channel":"C9999"}', s: sealedOuter.s })],
    ['metadata sealed with another key', createMetadataSealer('xoxb-other').seal({ channel: 'C9999' })!],
    ['the unsigned channel', '{"channel":"C1234"}'],
    ['an extra field', JSON.stringify({ ...sealedOuter, x: 1 })],
    ['metadata that is not JSON', '{"d":'],
    ['empty metadata', ''],
  ])('refuses a modal whose private_metadata has %s, and calls no one', async (_name, privateMetadata) => {
    const res = await h.submit({ privateMetadata });
    expect(res.json).toMatchObject({ response_action: 'errors', errors: { incident_block: expect.any(String) } });
    expect(h.d3.requests()).toHaveLength(0);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(0);
    expect(h.slack.calls('chat.postEphemeral')).toHaveLength(0);
  });

  it('does not call D3 or post twice when Slack retries a slash command it already delivered', async () => {
    const body = command({ trigger_id: '7012345678901.4412345678.feedfacefeedface' });
    expect((await h.raw(body)).status).toBe(200);
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1 && h.slack.responses().length === 1);
    const retry = await h.raw(body, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
    expect(retry.status).toBe(200);
    await h.slack.waitFor(() => h.slack.responses().length === 2);
    expect(h.d3.closeCalls()).toHaveLength(1);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(1);
    expect(JSON.stringify(h.slack.responses()[1])).toMatch(/already received/);
  });

  it('does not call D3 twice when Slack retries while the first close is still waiting on D3', async () => {
    h.d3.script('close', { fixture: 'close-ok.json', delayMs: 500 });
    const body = command({ trigger_id: '7012345678901.4412345678.beefbeefbeefbeef' });
    expect((await h.raw(body)).status).toBe(200);
    const retry = await h.raw(body, { headers: { 'x-slack-retry-num': '2', 'x-slack-retry-reason': 'http_timeout' } });
    expect(retry.status).toBe(200);
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1 && h.slack.responses().length === 2);
    expect(h.d3.closeCalls()).toHaveLength(1);
  });

  it('does not call D3 twice when Slack retries a modal submission', async () => {
    const privateMetadata = createMetadataSealer(botToken).seal({ channel: 'C1234' })!;
    const body = viewSubmissionBody('close-modal-submit.json', { privateMetadata, viewId: 'V0RETRY' });
    expect((await h.raw(body)).status).toBe(200);
    await h.slack.waitFor(() => h.slack.calls('chat.postEphemeral').length === 1);
    const retry = await h.raw(body, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_error' } });
    expect(retry.status).toBe(200);
    await h.slack.waitFor(() => h.slack.calls('chat.postEphemeral').length === 2);
    expect(h.d3.closeCalls()).toHaveLength(1);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(1);
  });

  it('makes one D3 call and posts one summary when the same modal is submitted twice in a row', async () => {
    const first = await h.submit({ viewId: 'V0TWICE' });
    expect(first.status).toBe(200);
    await h.slack.waitFor(() => h.slack.calls('chat.postEphemeral').length === 1);
    const second = await h.submit({ viewId: 'V0TWICE' });
    expect(second.status).toBe(200);
    await h.slack.waitFor(() => h.slack.calls('chat.postEphemeral').length === 2);
    expect(h.d3.closeCalls()).toHaveLength(1);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(1);
    expect(String(h.slack.calls('chat.postEphemeral')[1]!.args.text)).toMatch(/already received/);
  });
});

describe('Slack markup in notes', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  // As Slack sends it in a slash command: its own markup as <…>, the analyst's & < > as entities.
  const sentBySlack =
    'cc <!channel> <!here> <!everyone> <@U999EVIL> <@U777|bob> <#C555|ops> <https://evil.example|ok> ' +
    '<https://evil.example> `code` *bold* _it_ ~gone~ typed &lt;!channel&gt; &lt;@U888&gt; &lt;https://x.example|y&gt;';
  const decoded =
    'cc @channel @here @everyone @U999EVIL @bob #ops ok (https://evil.example) https://evil.example ' +
    '`code` *bold* _it_ ~gone~ typed <!channel> <@U888> <https://x.example|y>';

  function expectInert(posted: string) {
    expect(posted).not.toMatch(/<!(channel|here|everyone)/);
    expect((posted.match(/<@/g) ?? []).length).toBe((posted.match(/<@U1234>/g) ?? []).length);
    expect(posted).not.toMatch(/<@U(999|777|888)/);
    expect(posted).not.toContain('<https://');
    expect(posted).not.toContain('<#C555');
  }

  const noteIn = (body: string) => (JSON.parse(body) as { CommandParams: { 'Incident Note': string } }).CommandParams;

  it('sends D3 the decoded text of a command and shows every piece of it literally in the summary', async () => {
    await h.command({ text: `20200526-23 ${sentBySlack}` });
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1);

    expect(noteIn(h.d3.closeCalls()[0]!.rawBody)['Incident Note']).toBe(decoded);
    const summary = h.slack.calls('chat.postMessage')[0]!.args;
    const posted = JSON.stringify(summary);
    expectInert(posted);
    expect(posted).toContain('<@U1234>');
    const noteText = (summary.blocks as Array<{ text?: { type: string; text: string } }>)
      .filter((b) => b.text?.type === 'plain_text')
      .map((b) => b.text?.text)
      .join('');
    expect(noteText).toContain('`code` *bold* _it_ ~gone~');
    expect(noteText).toContain('&lt;!channel&gt;');
    expect(noteText).toContain('ok (https://evil.example)');
  });

  it('sends D3 a modal note exactly as typed and shows it literally in the summary', async () => {
    const typed = '<!channel> <!here> <@U999EVIL> <https://evil.example|ok> `code` *bold* _it_ ~gone~ & done';
    await h.submit({ values: { incident: '20200526-23', note: typed } });
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1);

    expect(noteIn(h.d3.closeCalls()[0]!.rawBody)['Incident Note']).toBe(typed);
    const posted = JSON.stringify(h.slack.calls('chat.postMessage')[0]!.args);
    expectInert(posted);
    expect(posted).toContain('`code` *bold* _it_ ~gone~ &amp; done');
    await h.slack.waitFor(() => h.slack.calls('chat.postEphemeral').length === 1);
    expectInert(JSON.stringify(h.slack.calls('chat.postEphemeral')[0]!.args));
  });
});
