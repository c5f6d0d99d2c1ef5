import { inspect } from 'node:util';
import { errors, MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/config.ts';
import { commandUrl, createD3Client, type D3ClientOptions } from '../../src/d3/client.ts';
import type { CloseCommand } from '../../src/domain/ports.ts';
import { fixture } from '../support/fake-d3.ts';
import { rejection } from '../support/rejection.ts';

const ORIGIN = 'https://soar.acme-sec.example';
const CLOSE_KEY = 's3cret-close-key-1234';
const STATE_KEY = 's3cret-state-key-5678';
const N = '20200526-23';
const cmd: CloseCommand = {
  username: 'jdoe',
  site: 'Blue Team',
  incidentNumber: N,
  note: 'False positive: scheduled scanner',
  requestId: 'req-1',
};

let agent: MockAgent;

beforeEach(() => {
  agent = new MockAgent({ enableCallHistory: true });
  agent.disableNetConnect();
});

afterEach(async () => {
  agent.assertNoPendingInterceptors();
  await agent.close();
});

const client = (over: Partial<D3ClientOptions> = {}) =>
  createD3Client({
    baseUrl: `${ORIGIN}/Prod/`,
    namespace: 'VSOC',
    apiKey: new Secret(CLOSE_KEY),
    stateApiKey: new Secret(STATE_KEY),
    keyHeader: 'd3key',
    timeoutMs: 200,
    closeCommand: 'CloseIncident',
    dispatcher: agent,
    ...over,
  });

const intercept = (command = 'CloseIncident') =>
  agent.get(ORIGIN).intercept({ path: `/Prod/VSOC/api/Command/${command}`, method: 'POST' });

const lastCall = () => {
  const call = agent.getCallHistory()?.lastCall();
  if (!call) throw new Error('no call recorded');
  return { ...call, json: JSON.parse(String(call.body)) as unknown };
};

describe('commandUrl', () => {
  it.each([
    ['https://soar.example', 'https://soar.example/VSOC/api/Command/CloseIncident'],
    ['https://soar.example/', 'https://soar.example/VSOC/api/Command/CloseIncident'],
    ['https://soar.example/Prod', 'https://soar.example/Prod/VSOC/api/Command/CloseIncident'],
    ['https://soar.example/Prod//', 'https://soar.example/Prod/VSOC/api/Command/CloseIncident'],
  ])('builds the command URL from %s', (base, url) => {
    expect(commandUrl(base, 'VSOC', 'CloseIncident')).toBe(url);
  });
});

describe('createD3Client requests', () => {
  it('posts CloseIncident with the key header and the documented body', async () => {
    intercept().reply(200, fixture('close-ok.json'));
    await expect(client().close(cmd)).resolves.toMatchObject({ incidentNumber: N, closedBy: 'Jordan Vale' });
    const call = lastCall();
    expect(call.fullUrl).toBe(`${ORIGIN}/Prod/VSOC/api/Command/CloseIncident`);
    expect(call.method).toBe('POST');
    expect(call.headers).toMatchObject({
      'content-type': 'application/json',
      accept: 'application/json',
      d3key: CLOSE_KEY,
    });
    expect(call.json).toEqual({
      Username: 'jdoe',
      Site: 'Blue Team',
      CommandParams: { 'Incident Number': N, 'Incident Note': 'False positive: scheduled scanner' },
    });
  });

  it('posts CloseIncidentInBulk with one number, the note as Conclusion and the bypass flag written as in D3’s sample', async () => {
    intercept('CloseIncidentInBulk').reply(200, fixture('close-bulk-ok.json'));
    await expect(client({ closeCommand: 'CloseIncidentInBulk' }).close(cmd)).resolves.toMatchObject({
      closeType: 'Closed',
    });
    expect(lastCall().json).toEqual({
      Username: 'jdoe',
      Site: 'Blue Team',
      CommandParams: {
        'Incident Numbers': [N],
        Conclusion: 'False positive: scheduled scanner',
        'Bypass Required Pending Tasks': 'No',
        Username: 'jdoe',
      },
    });
  });

  it('reads the state with getIncidentStaticField and the state key', async () => {
    intercept('getIncidentStaticField').reply(200, fixture('state-closed.json'));
    const state = await client().getState({ username: 'jdoe', site: 'Blue Team', incidentNumber: N, requestId: 'r' });
    expect(state).toMatchObject({ closed: true, closedBy: 'Jordan Vale' });
    const call = lastCall();
    expect(call.headers).toMatchObject({ d3key: STATE_KEY });
    expect(call.json).toEqual({ Username: 'jdoe', Site: 'Blue Team', CommandParams: { 'Incident Number': N } });
  });

  it('sends the key under the configured header name', async () => {
    intercept().reply(200, fixture('close-ok.json'));
    await client({ keyHeader: 'd3jwt' }).close(cmd);
    expect(lastCall().headers).toMatchObject({ d3jwt: CLOSE_KEY });
    expect(lastCall().headers).not.toHaveProperty('d3key');
  });
});

describe('createD3Client failures', () => {
  it.each([
    [400, '{"Error": "Missing parameter."}', {}, 'd3_bad_request', { status: 400 }],
    [401, fixture('401.json'), {}, 'd3_unauthorized', { hint: expect.stringContaining('D3_API_KEY') }],
    [403, fixture('403.json'), {}, 'd3_forbidden', { status: 403 }],
    [429, fixture('429.json'), { 'retry-after': '3' }, 'd3_rate_limited', { retryAfterS: 3, notSent: true }],
    [500, fixture('500.json'), {}, 'd3_outcome_unknown', { status: 500 }],
    [502, 'Bad Gateway', {}, 'd3_outcome_unknown', { status: 502 }],
    [503, fixture('503.json'), {}, 'd3_unavailable', { notSent: true }],
    [504, 'Gateway Timeout', {}, 'd3_outcome_unknown', { status: 504 }],
    [200, fixture('html-error.html'), {}, 'd3_bad_reply', { status: 200 }],
  ])('maps HTTP %i to its code', async (status, body, headers, code, detail) => {
    intercept().reply(status, body, { headers });
    expect(await rejection(client().close(cmd))).toMatchObject({ code, detail });
  });

  it.each([
    ['a headers timeout', new errors.HeadersTimeoutError()],
    ['a body timeout', new errors.BodyTimeoutError()],
    ['a reset socket', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['a socket closed mid-reply', new errors.SocketError('other side closed')],
  ])('reports %s after sending as d3_outcome_unknown', async (_what, error) => {
    intercept().replyWithError(error);
    expect(await rejection(client().close(cmd))).toMatchObject({ code: 'd3_outcome_unknown' });
  });

  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' })],
    ['an unknown host', Object.assign(new Error('getaddrinfo ENOTFOUND soar'), { code: 'ENOTFOUND' })],
    ['a connect timeout', new errors.ConnectTimeoutError()],
    ['a bad certificate', Object.assign(new Error('self-signed'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })],
  ])('reports %s as d3_unreachable that was not sent', async (_what, error) => {
    intercept().replyWithError(error);
    expect(await rejection(client().close(cmd))).toMatchObject({ code: 'd3_unreachable', detail: { notSent: true } });
  });

  it('gives up on a reply that never comes and calls the outcome unknown', async () => {
    intercept().reply(200, fixture('close-ok.json')).delay(1_000);
    const started = Date.now();
    expect(await rejection(client({ timeoutMs: 50 }).close(cmd))).toMatchObject({ code: 'd3_outcome_unknown' });
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('refuses a reply body over the cap, declared or streamed', async () => {
    const big = JSON.stringify({ error: '', returnData: 'Succeed', contextData: { pad: 'x'.repeat(2_000) } });
    intercept().reply(200, big);
    intercept().reply(200, big, { headers: { 'content-length': String(big.length) } });
    const c = client({ maxBodyBytes: 1_024 });
    expect(await rejection(c.close(cmd))).toMatchObject({ code: 'd3_bad_reply', detail: { reason: /larger/ } });
    expect(await rejection(c.close(cmd))).toMatchObject({ code: 'd3_bad_reply', detail: { reason: /larger/ } });
  });
});

describe('createD3Client secrecy', () => {
  it.each([
    ['a 401 that echoes the key', () => intercept().reply(401, { Error: `Invalid authentication key ${CLOSE_KEY}.` })],
    [
      'a 200 rejection that echoes the key',
      () => intercept().reply(200, { error: `bad key ${CLOSE_KEY}`, returnData: '' }),
    ],
    ['a transport error that names the key', () => intercept().replyWithError(new Error(`boom ${CLOSE_KEY}`))],
    ['a request no interceptor matches', () => undefined],
  ])('never lets the key out through %s', async (_what, setup) => {
    setup();
    const err = await rejection(client().close(cmd));
    for (const text of [err.message, JSON.stringify(err), inspect(err, { depth: 10 }), String(err.cause)]) {
      expect(text).not.toContain(CLOSE_KEY);
    }
  });
});
