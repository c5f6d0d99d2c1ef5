import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatCheck } from '../../src/doctor/check.ts';
import { runDoctor } from '../../src/doctor/run.ts';
import { type FakeD3, startFakeD3 } from '../support/fake-d3.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { botToken, d3Key, defaultUserMap, harnessEnv } from '../support/harness.ts';

const root = new URL('../../', import.meta.url).pathname;

/**
 * Attack on "exit 0 only when all pass": a Slack answer that does not say which scopes the token has
 * (a proxy that drops the x-oauth-scopes header) proves nothing about them, so it must not let the run
 * end in 0 as if they had been checked.
 */
async function headerDroppingProxy(target: string, drop: string) {
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const fwd = request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        const headers = { ...up.headers };
        delete headers[drop];
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
      },
    );
    req.pipe(fwd);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('npm run doctor on an answer that proves nothing', () => {
  let d3: FakeD3;
  let slack: FakeSlack;
  let proxy: Awaited<ReturnType<typeof headerDroppingProxy>> | undefined;
  afterEach(async () => {
    await proxy?.stop();
    await Promise.all([d3?.stop(), slack?.stop()]);
  });

  it('does not exit 0 when Slack does not report the granted scopes', async () => {
    d3 = await startFakeD3({ apiKey: d3Key });
    slack = await startFakeSlack({ botToken });
    proxy = await headerDroppingProxy(slack.apiUrl, 'x-oauth-scopes');
    const dir = mkdtempSync(join(tmpdir(), 'close-incident-doctor9-'));
    const userMapFile = join(dir, 'users.yml');
    writeFileSync(userMapFile, defaultUserMap);
    const env = harnessEnv({
      d3Url: d3.url,
      slackApiUrl: proxy.url,
      userMapFile,
      SLACK_SIGNING_SECRET: '8f742231b10e8888abcd99eeeeee85a5',
      STORE_URL: `sqlite://${join(dir, 'store.sqlite')}`,
    });
    const { results, exitCode } = await runDoctor({ env, args: ['--incident', '20200526-23'], cwd: root });
    const lines = results.map(formatCheck);
    const scopes = lines.find((l) => l.slice(2).startsWith('slack scopes ')) ?? '';
    expect(lines.find((l) => l.slice(2).startsWith('slack bot token '))).toMatch(/^✓ /);
    expect(scopes).toMatch(/^✗ .*did not report the granted scopes.*→ fix: /);
    expect(exitCode).toBe(1);
  });
});
