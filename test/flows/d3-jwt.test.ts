import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { type ConfigError, loadConfig } from '../../src/config.ts';
import { type FakeD3, startFakeD3 } from '../support/fake-d3.ts';
import { type Harness, startHarness } from '../support/harness.ts';

const secret = 'jwt-secret-0123456789abcdef0123456789abcdef';
const jwtEnv = (s = secret) => ({ D3_AUTH: 'jwt', D3_JWT_SECRET: s, D3_API_KEY: '', LOG_LEVEL: 'trace' });

/** A proxy that rewrites the note on its way to D3, as a meddling middlebox would. */
async function tamperingProxy(target: string): Promise<{ url: string; server: Server }> {
  const to = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.from(Buffer.concat(chunks).toString('utf8').replace('benign', 'malign'));
      const headers = { ...req.headers, 'content-length': String(body.length) };
      const out = request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/d3`, server };
}

describe('D3 with JWT authentication required', () => {
  let h: Harness | undefined;
  let d3: FakeD3 | undefined;
  let proxy: Server | undefined;
  afterEach(async () => {
    await h?.stop();
    await d3?.stop();
    proxy?.closeAllConnections();
    proxy?.close();
    h = d3 = proxy = undefined;
  });

  const outcome = async (hh: Harness) => {
    await hh.slack.waitFor(() => hh.slack.responses().length === 1, 8000);
    return JSON.stringify(hh.slack.responses()[0]);
  };

  it('closes with a token signed over the exact body, in the d3jwt header and without the key', async () => {
    d3 = await startFakeD3({ jwt: { secret } });
    h = await startHarness({ d3, env: jwtEnv() });
    await h.command({ text: '20200526-23 False positive: benign scanner' });
    await h.slack.waitFor(() => h!.slack.calls('chat.postMessage').length === 1);

    const call = d3.closeCalls()[0]!;
    expect(call.refused).toBeUndefined();
    expect(call.headers.d3key).toBeUndefined();
    const token = String(call.headers.d3jwt);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'HS256' });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject(call.body as object);
    expect(claims.exp! - claims.iat!).toBe(60);
    expect(d3.incidents.get('20200526-23')?.status).toBe('Closed');
  });

  it('adds the configured claims and lets D3_JWT_TTL_S=0 leave iat and exp out', async () => {
    d3 = await startFakeD3({ jwt: { secret } });
    h = await startHarness({ d3, env: { ...jwtEnv(), D3_JWT_CLAIMS: '{"iss":"close-incident"}', D3_JWT_TTL_S: '0' } });
    await h.command({ text: '20200526-23 done' });
    await h.slack.waitFor(() => h!.slack.calls('chat.postMessage').length === 1);
    const claims = decodeJwt(String(d3.closeCalls()[0]!.headers.d3jwt));
    expect(claims).toMatchObject({ iss: 'close-incident', Username: 'jdoe' });
    expect(claims.exp).toBeUndefined();
  });

  it.each([
    ['a wrong secret', 'signature', {}, jwtEnv('another-secret-0123456789abcdef0123456789')],
    ['an expired token (D3’s clock ahead)', 'expired', { clockOffsetS: 120 }, jwtEnv()],
  ])('is refused by D3 for %s and tells the analyst nothing was closed', async (_t, why, fakeOpts, env) => {
    d3 = await startFakeD3({ jwt: { secret, ...fakeOpts } });
    h = await startHarness({ d3, env });
    await h.command({ text: '20200526-23 False positive: benign scanner' });
    const text = await outcome(h);
    expect(d3.closeCalls().map((c) => c.refused)).toEqual([why]);
    expect(text).toMatch(/did not accept the bot's credentials/);
    expect(text).toContain('was not closed');
    expect(h.slack.calls('chat.postMessage')).toHaveLength(0);
    expect(d3.incidents.get('20200526-23')?.status).not.toBe('Closed');
  });

  it('is refused when the body was altered on the way, since the payload no longer matches it', async () => {
    d3 = await startFakeD3({ jwt: { secret } });
    const p = await tamperingProxy(d3.url);
    proxy = p.server;
    h = await startHarness({ d3, env: { ...jwtEnv(), D3_BASE_URL: p.url } });
    await h.command({ text: '20200526-23 False positive: benign scanner' });
    const text = await outcome(h);
    expect(d3.closeCalls().map((c) => c.refused)).toEqual(['body-mismatch']);
    expect((d3.closeCalls()[0]!.body as { CommandParams: object }).CommandParams).toMatchObject({
      'Incident Note': 'False positive: malign scanner',
    });
    expect(text).toMatch(/did not accept the bot's credentials/);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(0);
  });

  it('never writes the secret or a token to the log, and names the JWT settings for the operator', async () => {
    d3 = await startFakeD3({ jwt: { secret } });
    h = await startHarness({ d3, env: jwtEnv('another-secret-0123456789abcdef0123456789') });
    await h.command({ text: '20200526-23 done' });
    await outcome(h);
    const logs = h.logs();
    expect(logs).toContain('D3_JWT_SECRET');
    expect(logs).not.toContain('another-secret-0123456789abcdef0123456789');
    expect(logs).not.toContain(String(d3.closeCalls()[0]!.headers.d3jwt));
    expect(JSON.stringify(h.slack.responses())).not.toContain('another-secret');
  });

  it('refuses to start without a usable secret or with claims it would overwrite', () => {
    const base = {
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'signing-secret',
      D3_BASE_URL: 'https://d3.example',
    };
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig({ ...base, D3_API_NAMESPACE: 'VSOC', ...env });
        return [];
      } catch (e) {
        return (e as ConfigError).problems;
      }
    };
    expect(problems({ D3_AUTH: 'jwt' })).toEqual([expect.stringMatching(/^D3_JWT_SECRET: is required/)]);
    expect(problems({ D3_AUTH: 'jwt', D3_JWT_SECRET: 'short' })[0]).toMatch(/^D3_JWT_SECRET: .*32/);
    expect(problems({ D3_AUTH: 'jwt', D3_JWT_SECRET: secret, D3_JWT_CLAIMS: '{"Username":"x"}' })).toEqual([
      expect.stringMatching(/^D3_JWT_CLAIMS: must not set Username/),
    ]);
    expect(problems({ D3_AUTH: 'jwt', D3_JWT_SECRET: secret, D3_JWT_CLAIMS: '[1]' })[0]).toMatch(/JSON object/);
    expect(problems({})).toEqual(['D3_API_KEY: is required (or set D3_AUTH=jwt)']);
    expect(JSON.stringify(problems({ D3_AUTH: 'jwt', D3_JWT_SECRET: 'short' }))).not.toContain('short"');
  });
});
