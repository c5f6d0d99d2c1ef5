import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSummaryDeliverer } from '../../src/domain/summaries.ts';
import type { PendingSummary } from '../../src/domain/types.ts';
import { createLog } from '../../src/log.ts';
import { createStore } from '../../src/store/keyv-store.ts';
import { type ChildApp, startChildApp } from '../support/child-app.ts';
import { type FakeD3, startFakeD3 } from '../support/fake-d3.ts';
import { type FakeSlack, manifestScopes, startFakeSlack } from '../support/fake-slack.ts';
import { slashCommandBody } from '../support/fixtures.ts';
import {
  botToken,
  d3Key,
  defaultUserMap,
  type Harness,
  harnessEnv,
  signingSecret,
  startHarness,
} from '../support/harness.ts';
import { postSigned } from '../support/sign.ts';

const note = 'Crash-test note: benign scanner on WS-0193';
/** Long enough for several outbox replays (every 300 ms) to run, so a second post would show. */
const replayCycles = () => new Promise((resolve) => setTimeout(resolve, 1_500));

describe('a closure D3 confirmed survives the app dying before the summary is posted', () => {
  let d3: FakeD3;
  let slack: FakeSlack;
  let env: Record<string, string>;
  const children: ChildApp[] = [];

  beforeEach(async () => {
    d3 = await startFakeD3({ apiKey: d3Key });
    slack = await startFakeSlack({ botToken });
    const dir = mkdtempSync(join(tmpdir(), 'close-incident-crash-'));
    const userMapFile = join(dir, 'users.yml');
    writeFileSync(userMapFile, defaultUserMap);
    env = harnessEnv({
      d3Url: d3.url,
      slackApiUrl: slack.apiUrl,
      userMapFile,
      STORE_URL: `sqlite://${join(dir, 'x.sqlite')}`,
      OUTBOX_INTERVAL_MS: '300',
      OUTBOX_CLAIM_TTL_MS: '500',
    });
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.kill('SIGKILL');
      await child.exited;
    }
    await Promise.all([d3.stop(), slack.stop()]);
  });

  const start = async () => {
    const child = await startChildApp(env);
    children.push(child);
    return child;
  };
  const send = (child: ChildApp, text: string) =>
    postSigned(
      child.eventsUrl,
      slashCommandBody('close-command.form', {
        text,
        response_url: slack.responseUrl('analyst'),
        trigger_id: `${Date.now()}.4412345678.crash`,
      }),
      { secret: signingSecret },
    );
  const pendingSummaries = async (child: ChildApp) => {
    const text = await (await fetch(`http://127.0.0.1:${child.port}/metrics`)).text();
    return Number(/^close_incident_pending_summaries (\S+)$/m.exec(text)?.[1]);
  };

  it('posts the summary once, with its original details and author, after a SIGKILL between D3 and Slack', async () => {
    slack.script('chat.postMessage', { hang: true });
    const first = await start();
    slack.onRequest((call) => {
      if (call.method === 'chat.postMessage' && call.hang) first.kill('SIGKILL');
    });

    const ack = await send(first, `20200526-23 ${note}`);
    expect(ack.status).toBe(200);
    expect(await first.exited).toBe('SIGKILL');
    expect(d3.closeCalls()).toHaveLength(1);
    expect(slack.hung('chat.postMessage')).toHaveLength(1);
    expect(slack.calls('chat.postMessage')).toHaveLength(0);

    const second = await start();
    await slack.waitFor(() => slack.calls('chat.postMessage').length >= 1, 10_000);
    await replayCycles();
    expect(await pendingSummaries(second)).toBe(0);

    const posts = slack.calls('chat.postMessage');
    expect(posts).toHaveLength(1);
    const post = posts[0]!.args;
    const blocks = JSON.stringify(post.blocks);
    expect(post.channel).toBe('C1234');
    expect(post.text).toEqual(expect.stringContaining('Incident 20200526-23 closed'));
    expect(post.text).toEqual(expect.stringContaining('<@U1234>'));
    expect(post.text).toEqual(expect.stringContaining('Jordan Vale'));
    expect(post.text).toEqual(expect.stringContaining('Security Operations'));
    expect(post.text).toEqual(expect.stringContaining(note));
    expect(blocks).toContain('<@U1234>');
    expect(blocks).toContain(note);
    expect(d3.closeCalls()).toHaveLength(1);

    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const third = await start();
    await replayCycles();
    expect(await pendingSummaries(third)).toBe(0);
    expect(slack.calls('chat.postMessage')).toHaveLength(1);
    expect(d3.closeCalls()).toHaveLength(1);
    // Three app starts (tsx child processes): allow for a loaded CI machine.
  }, 60_000);
});

describe('a summary Slack took just before the app died, before its outbox entry was removed', () => {
  let d3: FakeD3;
  let slack: FakeSlack;
  const children: ChildApp[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.kill('SIGKILL');
      await child.exited;
    }
    await Promise.all([d3.stop(), slack.stop()]);
  });

  async function crashAfterSlackTookIt(scopes?: string[]) {
    d3 = await startFakeD3({ apiKey: d3Key });
    slack = await startFakeSlack({ botToken, scopes });
    const dir = mkdtempSync(join(tmpdir(), 'close-incident-crash-'));
    const userMapFile = join(dir, 'users.yml');
    writeFileSync(userMapFile, defaultUserMap);
    const env = harnessEnv({
      d3Url: d3.url,
      slackApiUrl: slack.apiUrl,
      userMapFile,
      STORE_URL: `sqlite://${join(dir, 'x.sqlite')}`,
      OUTBOX_INTERVAL_MS: '300',
      OUTBOX_CLAIM_TTL_MS: '500',
    });
    const start = async () => {
      const child = await startChildApp(env);
      children.push(child);
      return child;
    };
    slack.script('chat.postMessage', { hang: true, commit: true });
    const first = await start();
    slack.onRequest((call) => {
      if (call.method === 'chat.postMessage' && call.hang) first.kill('SIGKILL');
    });
    const body = slashCommandBody('close-command.form', {
      text: `20200526-23 ${note}`,
      response_url: slack.responseUrl('analyst'),
      trigger_id: `${Date.now()}.4412345678.crash`,
    });
    expect((await postSigned(first.eventsUrl, body, { secret: signingSecret })).status).toBe(200);
    expect(await first.exited).toBe('SIGKILL');
    expect(slack.messages('C1234')).toHaveLength(1);
    expect(slack.messages('C1234')[0]!.metadata).toEqual({
      event_type: 'incident_closed',
      event_payload: { closure_id: expect.any(String), incident_number: '20200526-23' },
    });
    const second = await start();
    await slack.waitFor(
      () =>
        second.output().includes('pending closure summaries posted') ||
        second.output().includes('already in the channel'),
      10_000,
    );
    await replayCycles();
    return second;
  }

  it('does not post it again after a restart: the replay finds its closure id in the channel history', async () => {
    const second = await crashAfterSlackTookIt();

    expect(slack.calls('conversations.history')).toMatchObject([
      { args: { channel: 'C1234', include_all_metadata: 'true' } },
    ]);
    expect(slack.messages('C1234')).toHaveLength(1);
    expect(slack.calls('chat.postMessage')).toHaveLength(0);
    expect(second.output()).toContain('summary already in the channel; not posting it again');
    expect(second.output()).not.toContain('history scopes');
  });

  it('posts it again without the history scopes (at least once), and says so once at start-up', async () => {
    const second = await crashAfterSlackTookIt(manifestScopes.filter((s) => !s.endsWith(':history')));

    expect(slack.calls('conversations.history')).toHaveLength(0);
    expect(slack.messages('C1234')).toHaveLength(2);
    expect(second.output().match(/no history scopes: closure summaries are posted at least once/g)).toHaveLength(1);
  });
});

describe('a closure whose summary Slack will not take yet', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ env: { OUTBOX_INTERVAL_MS: '300' } });
  });
  afterEach(async () => {
    await h.stop();
  });

  const pendingSummaries = async () => {
    const text = await (await fetch(`${h.baseUrl}/metrics`)).text();
    return Number(/^close_incident_pending_summaries (\S+)$/m.exec(text)?.[1]);
  };

  it.each([
    { failure: 'HTTP 500s', replies: [{ status: 500 }, { status: 500 }, { status: 500 }] },
    { failure: 'ratelimited', replies: [{ ok: false as const, error: 'ratelimited' }, { status: 503 }] },
  ])(
    'tells the analyst D3 closed it, then posts the summary exactly once when Slack recovers ($failure)',
    async ({ replies }) => {
      h.slack.script('chat.postMessage', ...replies);
      await h.command({ user_id: 'U5678', text: `20200526-23 ${note}` });

      await h.slack.waitFor(() => h.slack.responses().length === 1, 8000);
      const told = JSON.stringify(h.slack.responses()[0]);
      expect(told).toContain('D3 closed 20200526-23');
      expect(told).toContain('will post it');

      await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length > replies.length, 8000);
      await replayCycles();
      expect(await pendingSummaries()).toBe(0);
      const posts = h.slack.calls('chat.postMessage');
      expect(posts).toHaveLength(replies.length + 1);
      const delivered = posts.at(-1)!.args;
      expect(delivered.text).toEqual(expect.stringContaining('<@U5678>'));
      expect(delivered.text).toEqual(expect.stringContaining('Client A'));
      expect(delivered.text).toEqual(expect.stringContaining(note));
      expect(h.d3.closeCalls()).toHaveLength(1);
      expect(h.slack.responses()).toHaveLength(1);
    },
  );
});

describe('a replay running alongside a live post', () => {
  const pending = (id: string, createdAt: string): PendingSummary => ({
    id,
    channelId: 'C1234',
    slackUserId: 'U1234',
    d3Username: 'jdoe',
    closure: { incidentNumber: id, site: 'Security Operations', note },
    requestId: id,
    createdAt,
  });
  const gate = () => {
    let open = () => {};
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    return { open, opened };
  };

  it('does not post again a summary the live post delivered after the replay listed it', async () => {
    const store = await createStore('memory://');
    const gates = { backlog: gate(), live: gate() };
    const posted: string[] = [];
    const summaries = createSummaryDeliverer({
      store,
      post: async (p) => {
        posted.push(p.id);
        await (p.id === 'backlog' ? gates.backlog.opened : p.id === 'live' ? gates.live.opened : undefined);
        return { ok: true };
      },
      notifyNotPosted: async () => {},
      log: createLog('silent'),
      instanceId: 'instance-1',
      claimTtlMs: 30_000,
    });
    await store.outbox.put(pending('backlog', '2020-05-26T09:00:00.000Z'));

    const live = summaries.deliver(pending('live', '2020-05-26T09:05:00.000Z'));
    await vi.waitFor(() => expect(posted).toEqual(['live']));
    const replay = summaries.replayPending();
    await vi.waitFor(() => expect(posted).toEqual(['live', 'backlog']));
    gates.live.open();
    expect(await live).toEqual({ status: 'posted', channelId: 'C1234' });
    gates.backlog.open();
    await replay;

    expect(posted).toEqual(['live', 'backlog']);
    expect(await store.outbox.list()).toEqual([]);
    await store.close();
  });
});
