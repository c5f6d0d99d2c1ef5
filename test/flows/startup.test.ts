import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;

function start(env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
}

describe('start-up validation', () => {
  it('stops with every configuration problem listed and no secret echoed', () => {
    const r = start({ SLACK_BOT_TOKEN: 'xoxp-wrong-kind-of-token', D3_API_KEY: 'shh-secret' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('SLACK_BOT_TOKEN');
    expect(r.stderr).toContain('D3_BASE_URL');
    expect(r.stderr).toContain('D3_API_NAMESPACE');
    expect(r.stderr).not.toContain('xoxp-wrong-kind-of-token');
    expect(r.stderr).not.toContain('shh-secret');
  });

  it('stops on a bad user map with the line and the problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'close-incident-map-'));
    const file = join(dir, 'users.yml');
    writeFileSync(file, 'users:\n  U0123ABCD: { username: jdoe }\n  not-an-id: { username: x }\n');
    const r = start({
      SLACK_BOT_TOKEN: 'xoxb-1-2',
      SLACK_SIGNING_SECRET: 'signing-secret-123',
      D3_BASE_URL: 'https://soar.example.com',
      D3_API_NAMESPACE: 'VSOC',
      D3_API_KEY: 'k',
      USER_MAP_FILE: file,
      STORE_URL: 'memory://',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${file}:3`);
    expect(r.stderr).toContain('not-an-id');
  });

  it('refuses plain http to Slack or D3 off this host, and a D3 URL with a query, before anything listens', () => {
    const r = start({
      SLACK_BOT_TOKEN: 'xoxb-1-2',
      SLACK_SIGNING_SECRET: 'signing-secret-123',
      SLACK_API_URL: 'http://slack-proxy.example.com/api/',
      D3_BASE_URL: 'http://soar.example.com/Prod?tenant=acme',
      D3_ALLOW_INSECURE_HTTP: 'true',
      D3_API_NAMESPACE: 'VSOC',
      D3_API_KEY: 'k',
      STORE_URL: 'memory://',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/SLACK_API_URL: must use https/);
    expect(r.stderr).toMatch(/D3_BASE_URL: must use https; plain http is allowed only to a loopback host/);
    expect(r.stderr).toMatch(/D3_BASE_URL: must not have a query string/);
    expect(r.stderr).not.toContain('slack-proxy.example.com');
    expect(r.stderr).not.toContain('tenant=acme');
  });
});
