import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatCheck } from '../../src/doctor/check.ts';
import { runDoctor } from '../../src/doctor/run.ts';
import { type FakeD3, type FakeD3Options, startFakeD3 } from '../support/fake-d3.ts';
import { type FakeSlack, type FakeSlackOptions, manifestScopes, startFakeSlack } from '../support/fake-slack.ts';
import { botToken, d3Key, harnessEnv } from '../support/harness.ts';
import { redisAvailable, startRedis } from '../support/redis.ts';
import { freePort, redisKeys, runDoctorChild } from '../support/run-doctor.ts';

const root = new URL('../../', import.meta.url).pathname;
const signingSecret = '8f742231b10e8888abcd99eeeeee85a5';
const jwtSecret = 'jwt-secret-0123456789abcdef0123456789abcdef';
const soundMap = `defaultSite: Security Operations
users:
  U1234: { username: jdoe }
  U5678: { username: asmith, site: Client A }
  jane.roe@example.com: { username: jroe }
`;

describe('npm run doctor', () => {
  let d3: FakeD3;
  let slack: FakeSlack;
  afterEach(async () => {
    await Promise.all([d3?.stop(), slack?.stop()]);
  });

  async function setup(
    o: { slack?: FakeSlackOptions; d3?: FakeD3Options; userMap?: string; env?: Record<string, string> } = {},
  ) {
    d3 = await startFakeD3({ apiKey: d3Key, ...o.d3 });
    slack = await startFakeSlack({ botToken, ...o.slack });
    const dir = mkdtempSync(join(tmpdir(), 'close-incident-doctor-'));
    const userMapFile = join(dir, 'users.yml');
    writeFileSync(userMapFile, o.userMap ?? soundMap);
    const env = harnessEnv({
      d3Url: d3.url,
      slackApiUrl: slack.apiUrl,
      userMapFile,
      SLACK_SIGNING_SECRET: signingSecret,
      STORE_URL: `sqlite://${join(dir, 'store.sqlite')}`,
      ...o.env,
    });
    const run = async (...args: string[]) => {
      const { results, exitCode } = await runDoctor({ env, args, cwd: root });
      const lines = results.map(formatCheck);
      const text = lines.join('\n');
      for (const secret of [botToken, signingSecret, d3Key, jwtSecret]) expect(text).not.toContain(secret);
      return { lines, exitCode, line: (name: string) => lines.find((l) => l.slice(2).startsWith(`${name} `)) ?? '' };
    };
    return { env, run };
  }

  it('passes a sound installation, reading the incident in D3 and closing nothing', async () => {
    const { run } = await setup();
    const r = await run('--incident', '20200526-23');
    expect(r.exitCode).toBe(0);
    expect(r.line('slack bot token')).toMatch(/^✓ .*auth\.test ok: bot close-incident \(UBOT\) in Acme \(T1234\)/);
    expect(r.line('slack scopes')).toMatch(/^✓ .*all 13 scopes manifest\.yml asks for are granted/);
    expect(r.line('slack signing secret')).toMatch(/^✓ /);
    expect(r.line('store')).toMatch(/^✓ .*wrote, read back and deleted a probe record/);
    expect(r.line('user map')).toMatch(/^✓ .*3 entries.*sites: Security Operations, Client A/);
    expect(r.line('d3 reachable')).toMatch(/^✓ .*answered \(HTTP 404\)/);
    expect(r.line('d3 read access')).toMatch(
      /^✓ .*D3 accepted the key: 20200526-23 is Open in site Blue Team \(read as jdoe\)/,
    );
    expect(r.line('d3 close key')).toMatch(/^- .*skipped: only a close proves it/);
    expect(r.line('user map sites')).toMatch(/^✓ .*D3 answered a read in Security Operations, Client A/);
    expect(d3.closeCalls()).toEqual([]);
    expect(d3.requests().map((q) => [q.command, (q.body as { Site?: string } | undefined)?.Site])).toEqual([
      ['', undefined],
      ['getIncidentStaticField', 'Security Operations'],
      ['getIncidentStaticField', 'Client A'],
    ]);
  });

  it('shows the D3 read as skipped, with how to run it, when no incident is given', async () => {
    const { run } = await setup();
    const r = await run();
    expect(r.exitCode).toBe(0);
    expect(r.line('d3 read access')).toMatch(
      /^- .*skipped: no incident given; run npm run doctor -- --incident <number>/,
    );
    expect(d3.requests().filter((q) => q.command !== '')).toEqual([]);
  });

  it('fails on a bot token Slack refuses', async () => {
    const { run } = await setup({ slack: { botToken: 'xoxb-another-token' } });
    const r = await run('--incident', '20200526-23');
    expect(r.exitCode).toBe(1);
    expect(r.line('slack bot token')).toMatch(
      /^✗ .*Slack refused SLACK_BOT_TOKEN \(auth\.test: invalid_auth\) → fix: copy the Bot User OAuth Token/,
    );
    expect(r.line('slack scopes')).toMatch(/^- /);
  });

  it('fails on a scope manifest.yml asks for that the token lacks', async () => {
    const scopes = manifestScopes.filter((s) => s !== 'users:read.email' && s !== 'channels:history');
    const { run } = await setup({ slack: { scopes } });
    const r = await run('--incident', '20200526-23');
    expect(r.exitCode).toBe(1);
    expect(r.line('slack scopes')).toMatch(
      /^✗ .*missing users:read\.email, channels:history .*→ fix: add them .*reinstall/,
    );
  });

  it('fails on a signing secret or app token of the wrong shape', async () => {
    let r = await (await setup({ env: { SLACK_SIGNING_SECRET: botToken } })).run();
    expect(r.line('slack signing secret')).toMatch(/^✗ .*not 32 hexadecimal characters.*→ fix: copy Signing Secret/);
    expect(r.exitCode).toBe(1);
    await Promise.all([d3.stop(), slack.stop()]);
    r = await (await setup({ env: { SLACK_APP_TOKEN: 'xapp-1-A1234-1234567890-0123abcdef' } })).run();
    expect(r.line('slack app token')).toMatch(/^✓ slack app token +Socket Mode/);
    await Promise.all([d3.stop(), slack.stop()]);
    r = await (await setup({ env: { SLACK_APP_TOKEN: 'xapp-pasted-the-client-id' } })).run();
    expect(r.line('slack app token')).toMatch(/^✗ .*App-Level Tokens/);
  });

  it('fails on a store it cannot reach, naming it without its password', async () => {
    const port = await freePort();
    const { run } = await setup({ env: { STORE_URL: `redis://:hunter2secret@127.0.0.1:${port}/0` } });
    const r = await run();
    expect(r.exitCode).toBe(1);
    expect(r.line('store')).toMatch(
      new RegExp(`^✗ store .*cannot open redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}/0.*→ fix: start Redis`),
    );
    expect(r.lines.join('\n')).not.toContain('hunter2secret');
  });

  it.skipIf(!redisAvailable())('writes, reads back and deletes its probe record in Redis', async () => {
    const redis = await startRedis();
    if (!redis) throw new Error('redis-server is required here');
    try {
      const r = await (await setup({ env: { STORE_URL: redis.url } })).run();
      expect(r.line('store')).toMatch(/^✓ store .*wrote, read back and deleted a probe record/);
      expect(await redisKeys(redis.url)).toBe('*0');
    } finally {
      await redis.stop();
    }
  });

  it('fails when D3 refuses the key on the read, naming the settings to check', async () => {
    const { run } = await setup({ env: { D3_API_KEY: 'not-the-key' } });
    const r = await run('--incident', '20200526-23');
    expect(r.exitCode).toBe(1);
    expect(r.line('d3 reachable')).toMatch(/^✓ /);
    expect(r.line('d3 read access')).toMatch(
      /^✗ .*D3 refused the credentials \(getIncidentStaticField 20200526-23 as jdoe in Security Operations → HTTP 401 d3_unauthorized: “Invalid authentication key\.”\) → fix: check D3_STATE_API_KEY \(or D3_API_KEY\) and D3_API_KEY_HEADER/,
    );
    expect(r.lines.join('\n')).not.toContain('not-the-key');
    expect(d3.closeCalls()).toEqual([]);
  });

  it('checks the JWT on the read when D3 requires JWT', async () => {
    const jwtEnv = { D3_AUTH: 'jwt', D3_API_KEY: '', D3_JWT_SECRET: jwtSecret };
    let r = await (await setup({ d3: { jwt: { secret: jwtSecret } }, env: jwtEnv })).run('--incident', '20200526-23');
    expect(r.exitCode).toBe(0);
    expect(r.line('d3 read access')).toMatch(/^✓ .*D3 accepted the JWT/);
    await Promise.all([d3.stop(), slack.stop()]);
    const other = { d3: { jwt: { secret: `${jwtSecret}-rotated` } }, env: jwtEnv };
    r = await (await setup(other)).run('--incident', '20200526-23');
    expect(r.exitCode).toBe(1);
    expect(r.line('d3 read access')).toMatch(
      /^✗ .*D3 refused the credentials.*→ fix: check D3_STATE_JWT_SECRET \(or D3_JWT_SECRET\)/,
    );
  });

  it('fails on a malformed user map entry, with its line', async () => {
    const { run } = await setup({ userMap: `${soundMap}  bob: { username: bob }\n` });
    const r = await run('--incident', '20200526-23');
    expect(r.exitCode).toBe(1);
    expect(r.line('user map')).toMatch(
      /^✗ .*users\.yml:6: users\.bob: "bob" is neither a Slack user ID .*→ fix: correct /,
    );
  });

  it('flags duplicate D3 users, entries without a site, and sites D3 did not confirm, without failing', async () => {
    const userMap = `users:
  U1234: { username: jdoe, site: Security Operations }
  jd@example.com: { username: JDoe, site: Security Operations }
  U5678: { username: asmith, site: Client Z }
  U0NOSITE: { username: nosite }
`;
    const { run } = await setup({ userMap });
    d3.script('state', {}, { body: { error: 'Site "Client Z" not found.', returnData: '' } });
    const r = await run('--incident', '20200526-23');
    expect(r.exitCode).toBe(0);
    expect(r.line('user map')).toMatch(
      /^! .*no site for U0NOSITE .*D3 user jdoe is mapped from U1234 and jd@example\.com/,
    );
    expect(r.line('user map sites')).toMatch(/^! .*not in Client Z as asmith \(Site "Client Z" not found\.\)/);
  });

  it('runs as npm run doctor does, printing one line per check and exiting 1 on a failure, 0 when all pass', async () => {
    const { env } = await setup();
    const runChild = (args: string[], extra: Record<string, string> = {}) => runDoctorChild(args, { ...env, ...extra });
    const ok = await runChild(['--incident', '20200526-23']);
    expect(ok.code).toBe(0);
    expect(ok.out.split('\n').filter((l) => /^[✓✗!-] /.test(l))).toHaveLength(10);
    expect(ok.out).toContain('All checks passed.');
    const bad = await runChild(['--incident', '20200526-23'], { D3_API_KEY: 'not-the-key' });
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/^✗ d3 read access /m);
    expect(bad.out).not.toContain('not-the-key');
    const config = await runChild([], { D3_BASE_URL: '' });
    expect(config.code).toBe(1);
    expect(config.out).toMatch(/^✗ config +D3_BASE_URL: is required/m);
  });
});
