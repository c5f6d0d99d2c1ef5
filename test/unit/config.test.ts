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

  it.each([
    ['http://soar.example.com', 'a public name'],
    ['http://10.0.0.7:8080', 'a private address'],
    ['http://127.evil.example', 'a name that starts like loopback'],
  ])('refuses plain-http D3 to a non-loopback host even with D3_ALLOW_INSECURE_HTTP=true: %s (%s)', (url) => {
    const list = problems({ ...good, D3_BASE_URL: url, D3_ALLOW_INSECURE_HTTP: 'true' });
    expect(list).toEqual([
      expect.stringMatching(/^D3_BASE_URL: must use https; plain http is allowed only to a loopback host/),
    ]);
    expect(list.join()).not.toContain(url);
  });

  it.each(['http://127.0.0.1:8080', 'http://127.8.9.10', 'http://localhost:9000/Prod', 'http://[::1]:8080'])(
    'honours D3_ALLOW_INSECURE_HTTP=true for the loopback host %s, and only with the flag',
    (url) => {
      expect(loadConfig({ ...good, D3_BASE_URL: url, D3_ALLOW_INSECURE_HTTP: 'true' }).d3.baseUrl).toBe(url);
      expect(problems({ ...good, D3_BASE_URL: url })).toEqual([expect.stringMatching(/^D3_BASE_URL: must use https/)]);
    },
  );

  it.each(['https://soar.example.com/Prod?tenant=a', 'https://soar.example.com/Prod#x', 'https://soar.example.com/?'])(
    'refuses a D3_BASE_URL with a query string or fragment (%s), naming the rule, not the value',
    (url) => {
      const list = problems({ ...good, D3_BASE_URL: url });
      expect(list).toEqual([expect.stringMatching(/^D3_BASE_URL: must not have a query string .* or fragment/)]);
      expect(list.join()).not.toContain('tenant');
    },
  );

  it.each(['http://slack.example.com/api/', 'http://10.1.2.3/api/', 'ftp://127.0.0.1/api/'])(
    'refuses a SLACK_API_URL that is not https unless its host is loopback: %s',
    (url) => {
      const list = problems({ ...good, SLACK_API_URL: url });
      expect(list).toEqual([
        expect.stringMatching(/^SLACK_API_URL: must use https; plain http is allowed only to a loopback host/),
      ]);
      expect(list.join()).not.toContain(url);
    },
  );

  it.each([
    'https://slack-gov.com/api/',
    'http://127.0.0.1:4001/api/',
    'http://localhost:4001/api/',
    'http://[::1]:4001/api/',
  ])('accepts the SLACK_API_URL %s', (url) => {
    expect(loadConfig({ ...good, SLACK_API_URL: url }).slack.apiUrl).toBe(url);
  });

  it('keeps AUDIT_NOTE_KEY secret and refuses a short one', () => {
    const key = 'k'.repeat(40);
    const c = loadConfig({ ...good, AUDIT_NOTE_KEY: key });
    expect(c.audit.noteKey?.reveal()).toBe(key);
    expect(`${JSON.stringify(c)} ${inspect(c, { depth: 5 })}`).not.toContain(key);
    expect(loadConfig(good).audit.noteKey).toBeUndefined();
    const list = problems({ ...good, AUDIT_NOTE_KEY: 'short-key' });
    expect(list).toEqual([expect.stringMatching(/^AUDIT_NOTE_KEY: must be at least 32 characters/)]);
    expect(list.join()).not.toContain('short-key');
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
