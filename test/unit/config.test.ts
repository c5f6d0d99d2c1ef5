import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const good = {
  SLACK_BOT_TOKEN: 'xoxb-123-abc',
  SLACK_SIGNING_SECRET: 'signing-secret-value',
  D3_BASE_URL: 'https://soar.example.com/Prod',
  D3_API_NAMESPACE: 'VSOC',
  D3_API_KEY: 'very-secret-d3-key',
};

function problems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig(good);
    expect(c.d3.keyHeader).toBe('d3key');
    expect(c.d3.timeoutMs).toBe(15_000);
    expect(c.d3.closeCommand).toBe('CloseIncident');
    expect(c.http.port).toBe(3000);
    expect(c.userMapFile).toBe('./config/users.yml');
    expect(c.policy.noteRequired).toBe(true);
    expect(c.d3.stateApiKey.reveal()).toBe('very-secret-d3-key');
  });

  it('lists every problem at once, by name, without echoing a value', () => {
    const list = problems({ SLACK_BOT_TOKEN: 'not-a-token-zzz', D3_BASE_URL: 'nope', D3_TIMEOUT_MS: '-5' });
    const names = list.map((p) => p.split(':')[0]);
    expect(names).toEqual(
      expect.arrayContaining(['SLACK_BOT_TOKEN', 'D3_BASE_URL', 'D3_API_NAMESPACE', 'D3_API_KEY', 'D3_TIMEOUT_MS']),
    );
    expect(list.join('\n')).not.toContain('not-a-token-zzz');
  });

  it('requires the signing secret unless Socket Mode is on', () => {
    const { SLACK_SIGNING_SECRET: _, ...noSecret } = good;
    expect(problems(noSecret).join()).toContain('SLACK_SIGNING_SECRET');
    expect(loadConfig({ ...noSecret, SLACK_APP_TOKEN: 'xapp-1-abc' }).slack.appToken).toBeDefined();
  });

  it('refuses plain-http D3 unless insecure http is allowed explicitly', () => {
    expect(problems({ ...good, D3_BASE_URL: 'http://soar.example.com' }).join()).toContain('D3_BASE_URL');
    expect(
      loadConfig({ ...good, D3_BASE_URL: 'http://127.0.0.1:8080', D3_ALLOW_INSECURE_HTTP: 'true' }).d3.baseUrl,
    ).toBe('http://127.0.0.1:8080');
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ ...good, D3_TIMEOUT_MS: '', D3_API_KEY_HEADER: ' ' }).d3.timeoutMs).toBe(15_000);
  });

  it('never prints a secret when the config is logged or serialised', () => {
    const c = loadConfig(good);
    const printed = `${JSON.stringify(c)} ${String(c.d3.apiKey)} ${inspect(c, { depth: 5 })}`;
    expect(printed).not.toContain('very-secret-d3-key');
    expect(printed).not.toContain('xoxb-123-abc');
    expect(printed).not.toContain('signing-secret-value');
  });
});
