import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle, stubbed } from '../../scripts/bundle.ts';
import { startChildApp } from '../support/child-app.ts';
import { type FakeD3, startFakeD3 } from '../support/fake-d3.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { slashCommandBody, slashCommandPayload } from '../support/fixtures.ts';
import { botToken, d3Key, defaultUserMap, harnessEnv, signingSecret } from '../support/harness.ts';
import { runDoctorChild } from '../support/run-doctor.ts';
import { postSigned } from '../support/sign.ts';

const root = new URL('../../', import.meta.url).pathname;

/**
 * `npm start` runs the bundle (scripts/bundle.ts), not the sources the rest of the suite runs through
 * tsx: built here the same way, it must close an incident end to end and run the doctor. (Inside the
 * project, so the packages left outside the bundle resolve from node_modules as in production.)
 */
describe('the production bundle (npm run build, npm start)', () => {
  let out: string;
  let d3: FakeD3;
  let slack: FakeSlack;
  let env: Record<string, string>;
  beforeAll(async () => {
    out = mkdtempSync(join(root, 'node_modules/.cache-close-incident-bundle-'));
    await bundle(out);
    d3 = await startFakeD3({ apiKey: d3Key });
    slack = await startFakeSlack({ botToken });
    const userMapFile = join(out, 'users.yml');
    writeFileSync(userMapFile, defaultUserMap);
    env = harnessEnv({
      d3Url: d3.url,
      slackApiUrl: slack.apiUrl,
      userMapFile,
      STORE_URL: `sqlite://${join(out, 'store.sqlite')}`,
    });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([d3?.stop(), slack?.stop()]);
    rmSync(out, { recursive: true, force: true });
  });

  it('closes an incident: acknowledged, closed in D3 once, summary posted, outcome in place', async () => {
    const app = await startChildApp(env, { entry: join(out, 'close-incident.mjs') });
    try {
      const ack = await postSigned(
        app.eventsUrl,
        slashCommandBody('close-command.form', {
          user_id: 'U1234',
          text: '20200526-23 closed by the bundle',
          response_url: slack.responseUrl('bundle'),
        }),
        { secret: signingSecret },
      );
      expect(ack.status).toBe(200);
      expect(ack.text).toContain('20200526-23');
      await slack.waitFor(() => slack.responses('bundle').length === 1, 15_000);
      expect(JSON.stringify(slack.responses('bundle')[0])).toContain('Closed 20200526-23 in D3');
      expect(d3.closeCalls()).toHaveLength(1);
      expect(slack.calls('chat.postMessage')).toHaveLength(1);
    } finally {
      app.kill('SIGTERM');
      expect(await app.exited).toBe(0);
    }
  }, 60_000);

  it("runs in Socket Mode (Bolt's SocketModeReceiver, not our receiver): a command closes, an empty one opens the form", async () => {
    // Bolt builds this receiver itself from its own modules; none of what it reaches may be the stub.
    const app = await startChildApp(
      { ...env, SLACK_APP_TOKEN: 'xapp-test-token', SLACK_SIGNING_SECRET: '' },
      { entry: join(out, 'close-incident.mjs') },
    );
    try {
      await slack.waitFor(() => slack.socket.connected() === 1, 15_000);
      const closes = d3.closeCalls().length;
      const posts = slack.calls('chat.postMessage').length;
      const ack = await slack.socket.send(
        'slash_commands',
        slashCommandPayload('close-command.form', {
          user_id: 'U1234',
          text: '20200526-24 closed by the bundle over the socket',
          response_url: slack.responseUrl('bundle-socket'),
          // Its own request (the store file is the HTTP test's, which remembers that one's trigger).
          trigger_id: '7012345678901.4412345678.00000002',
        }),
      );
      expect(ack.payload).toEqual({ text: expect.stringContaining('Closing 20200526-24') });
      await slack.waitFor(() => slack.responses('bundle-socket').length === 1, 15_000);
      expect(JSON.stringify(slack.responses('bundle-socket')[0])).toContain('Closed 20200526-24 in D3');
      expect(d3.closeCalls()).toHaveLength(closes + 1);
      expect(slack.calls('chat.postMessage')).toHaveLength(posts + 1);

      const form = await slack.socket.send(
        'slash_commands',
        slashCommandPayload('close-command.form', {
          user_id: 'U1234',
          text: '',
          trigger_id: '7012345678901.4412345678.00000001',
        }),
      );
      expect(form.envelope_id).toEqual(expect.any(String));
      await slack.waitFor(() => slack.calls('views.open').length === 1, 15_000);
      expect(app.output()).not.toContain('is not in this build');
    } finally {
      app.kill('SIGTERM');
      expect(await app.exited).toBe(0);
    }
  }, 60_000);

  it("leaves out Bolt's express and raw-body (start-up), in their place a stub that throws saying so", () => {
    const code = readFileSync(join(out, 'close-incident.mjs'), 'utf8');
    // iconv-lite's encodings (via raw-body) and express's router: what the stub saves parsing at start-up.
    expect(code).not.toContain('node_modules/iconv-lite');
    expect(code).not.toContain('node_modules/express/');
    expect(code).not.toMatch(/windows-1252|Shift_JIS/i);
    for (const name of stubbed) expect(code).toContain(`${name} is not in this build (scripts/bundle.ts)`);
  });

  it('runs the doctor: every check passes against a sound installation, exit 0', async () => {
    const { code, out: text } = await runDoctorChild(
      ['--incident', '20200526-23'],
      { ...env, SLACK_SIGNING_SECRET: '8f742231b10e8888abcd99eeeeee85a5' },
      join(out, 'doctor.mjs'),
    );
    expect(text).toContain('All checks passed.');
    expect(code).toBe(0);
  }, 60_000);
});
