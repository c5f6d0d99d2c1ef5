import { afterEach, describe, expect, it } from 'vitest';
import { slashCommandPayload } from '../support/fixtures.ts';
import { type Harness, startHarness } from '../support/harness.ts';

/**
 * Over HTTP a plain close typed in the command is run before Bolt (listeners/close-command.ts
 * earlyCloseAnswer); in Socket Mode the same close goes through Bolt and the listener. Each scenario
 * runs both ways against the same fakes' scripts and must read the same to the analyst: the
 * acknowledgement, what lands on the response_url, the DM when that is refused, and D3's calls.
 */
type Mode = 'http' | 'socket';

interface Seen {
  ack: unknown;
  responses: unknown[];
  dms: unknown[];
  closeCalls: unknown[];
  posts: number;
}

let harnesses: Harness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.map((h) => h.stop()));
  harnesses = [];
});

async function start(mode: Mode): Promise<Harness> {
  const env: Record<string, string> =
    mode === 'socket' ? { SLACK_APP_TOKEN: 'xapp-test-token', SLACK_SIGNING_SECRET: '' } : {};
  const h = await startHarness({ env, runtime: { slackTimeoutMs: 1_000 } });
  harnesses.push(h);
  if (mode === 'socket') await h.slack.waitFor(() => h.slack.socket.connected() === 1);
  return h;
}

/** The acknowledgement as the analyst reads it, whichever way it came. */
async function typeClose(h: Harness, mode: Mode, text: string, responseId: string): Promise<unknown> {
  const response_url = h.slack.responseUrl(responseId);
  if (mode === 'socket') {
    const payload = slashCommandPayload('close-command.form', { text, response_url, trigger_id: `${Date.now()}.1.1` });
    return (await h.slack.socket.send('slash_commands', payload)).payload;
  }
  const res = await h.command({ text, response_url });
  expect(res.status).toBe(200);
  return res.json ?? (res.text === '' ? {} : { text: res.text });
}

async function run(
  mode: Mode,
  script: (h: Harness) => void,
  until: (h: Harness) => boolean,
  text = '20200526-23 False positive: benign scanner',
): Promise<Seen> {
  const h = await start(mode);
  script(h);
  const ack = await typeClose(h, mode, text, 'r1');
  await h.slack.waitFor(() => until(h), 8_000);
  // Anything else that would follow (a second reply, a retried post) has had its moment.
  await new Promise((r) => setTimeout(r, 300));
  return {
    ack,
    responses: h.slack.responses('r1'),
    dms: h.slack
      .calls('chat.postMessage')
      .filter((c) => String(c.args.channel).startsWith('U') || String(c.args.channel).startsWith('D'))
      .map((c) => c.args.text),
    closeCalls: h.d3.closeCalls().map((c) => c.body),
    posts: h.slack.calls('chat.postMessage').length,
  };
}

const both = async (script: (h: Harness) => void, until: (h: Harness) => boolean, text?: string) => {
  const http = await run('http', script, until, text);
  const socket = await run('socket', script, until, text);
  return { http, socket };
};

describe('a close typed in the command reads the same before Bolt (HTTP) as through it (Socket Mode)', () => {
  it('closed: "Closing …" acknowledged, the outcome replaces it, one close call, the summary posted', async () => {
    const { http, socket } = await both(
      () => {},
      (h) => h.slack.responses('r1').length === 1 && h.slack.calls('chat.postMessage').length === 1,
    );
    expect(http.ack).toEqual({ text: expect.stringContaining('Closing 20200526-23') });
    expect(http.responses).toEqual([expect.objectContaining({ replace_original: true })]);
    expect(JSON.stringify(http.responses)).toContain('20200526-23');
    expect(http.closeCalls).toHaveLength(1);
    expect(http).toEqual(socket);
  });

  it('already closed in D3: the same answer, never "closed by this request"', async () => {
    const { http, socket } = await both(
      (h) => h.d3.script('close', { fixture: 'close-already-closed.json' }),
      (h) => h.slack.responses('r1').length === 1,
    );
    expect(JSON.stringify(http.responses)).not.toEqual(JSON.stringify(['']));
    expect(http.responses).toHaveLength(1);
    expect(http).toEqual(socket);
  });

  it('D3 refuses the close: the same refusal in place of the acknowledgement', async () => {
    const { http, socket } = await both(
      (h) => h.d3.script('close', { fixture: 'close-error.json' }),
      (h) => h.slack.responses('r1').length === 1,
    );
    expect(http.responses).toHaveLength(1);
    expect(http.posts).toBe(0);
    expect(http).toEqual(socket);
  });

  it('the response_url refuses the outcome: the same DM instead', async () => {
    const { http, socket } = await both(
      // Refused on the request, then again when the queue sends it as for a taken-over close: a DM.
      (h) => h.slack.script('response_url', { status: 404 }, { status: 404 }),
      (h) => h.slack.calls('chat.postMessage').length === 2,
    );
    expect(http.responses).toEqual([]);
    expect(http.dms).toHaveLength(1);
    expect(http.closeCalls).toHaveLength(1);
    expect(http).toEqual(socket);
  });

  it('a note too long for D3: the refusal replaces "Closing …", nothing sent to D3', async () => {
    const { http, socket } = await both(
      () => {},
      (h) => h.slack.responses('r1').length === 1,
      `20200526-23 ${'x'.repeat(3_100)}`,
    );
    expect(http.closeCalls).toEqual([]);
    expect(JSON.stringify(http.responses)).toContain('longer than 3000 characters');
    expect(http).toEqual(socket);
  });
});
