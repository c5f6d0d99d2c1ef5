import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ChildApp, startChildApp } from '../support/child-app.ts';
import { type FakeD3, startFakeD3 } from '../support/fake-d3.ts';
import { type FakeSlack, startFakeSlack, waitFor } from '../support/fake-slack.ts';
import { slashCommandBody } from '../support/fixtures.ts';
import { botToken, d3Key, defaultUserMap, harnessEnv, signingSecret } from '../support/harness.ts';
import { postSigned } from '../support/sign.ts';

describe('stopping the app on a signal', () => {
  let d3: FakeD3;
  let slack: FakeSlack;
  let child: ChildApp;
  let userMapFile: string;

  beforeEach(async () => {
    d3 = await startFakeD3({ apiKey: d3Key });
    slack = await startFakeSlack({ botToken });
    userMapFile = join(mkdtempSync(join(tmpdir(), 'close-incident-stop-')), 'users.yml');
    writeFileSync(userMapFile, defaultUserMap);
  });
  afterEach(async () => {
    child.kill('SIGKILL');
    await child.exited;
    await Promise.all([d3.stop(), slack.stop()]);
  });

  const start = async (env: Record<string, string> = {}) => {
    child = await startChildApp(harnessEnv({ d3Url: d3.url, slackApiUrl: slack.apiUrl, userMapFile, ...env }));
  };
  const send = (text: string, id: string) =>
    postSigned(
      child.eventsUrl,
      slashCommandBody('close-command.form', {
        text,
        response_url: slack.responseUrl(id),
        trigger_id: `trigger-${id}`,
      }),
      { secret: signingSecret },
    );
  const closedIncidents = () =>
    d3.closeCalls().map((c) => (c.body as { CommandParams: Record<string, string> }).CommandParams['Incident Number']);

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s finishes the closure under way, refuses new work and exits 0',
    async (signal) => {
      await start();
      d3.script('close', { fixture: 'close-ok.json', delayMs: 1500 });
      const ack = await send('20200526-23 closed during shutdown', 'in-flight');
      expect(ack.status).toBe(200);
      await waitFor(() => d3.closeCalls().length === 1);

      child.kill(signal);
      await waitFor(() => child.output().includes('shutting down'));
      const late = await send('20200526-99 sent after the signal', 'late').catch((e: unknown) => e);
      expect(late).not.toMatchObject({ status: 200 });

      expect(await child.exited).toBe(0);
      expect(closedIncidents()).toEqual(['20200526-23']);
      const posts = slack.calls('chat.postMessage');
      expect(posts).toHaveLength(1);
      expect(posts[0]?.args.text).toEqual(expect.stringContaining('20200526-23'));
      expect(JSON.stringify(slack.responses('in-flight'))).toContain('Closed 20200526-23 in D3');
      expect(slack.responses('late')).toEqual([]);
      expect(child.output()).not.toContain('abandoned');
    },
  );

  it('lets a summary replay under way at the signal finish, so it is not posted again at the next start', async () => {
    const store = `sqlite://${join(userMapFile, '..', 'x.sqlite')}`;
    await start({ STORE_URL: store, OUTBOX_INTERVAL_MS: '300' });
    slack.script('chat.postMessage', { ok: false, error: 'ratelimited' }, { delayMs: 1500 });
    let replayed = false;
    slack.onRequest((call) => {
      if (call.method === 'chat.postMessage' && slack.calls('chat.postMessage').length === 1) replayed = true;
    });
    await send('20200526-23 posted by the replay', 'replayed');
    await waitFor(() => replayed, 8000);

    child.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    expect(slack.hung('chat.postMessage')).toEqual([]);
    expect(slack.calls('chat.postMessage')).toHaveLength(2);

    await start({ STORE_URL: store, OUTBOX_INTERVAL_MS: '300' });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(slack.calls('chat.postMessage')).toHaveLength(2);
    expect(d3.closeCalls()).toHaveLength(1);
  });

  it('gives up on a closure that outlasts SHUTDOWN_TIMEOUT_MS and still exits 0', async () => {
    await start({ SHUTDOWN_TIMEOUT_MS: '1000', D3_TIMEOUT_MS: '60000', D3_RETRY_DEADLINE_MS: '60000' });
    d3.script('close', { fixture: 'close-ok.json', delayMs: 60_000 });
    await send('20200526-23 D3 never answers', 'stuck');
    await waitFor(() => d3.closeCalls().length === 1);

    child.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    expect(slack.calls('chat.postMessage')).toHaveLength(0);
    expect(child.output()).toContain('"closures":1,"incidents":["20200526-23"]');
    expect(child.output()).toContain('closures under way abandoned');
  });
});
