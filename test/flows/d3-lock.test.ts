import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/config.ts';
import { createD3Client } from '../../src/d3/client.ts';
import { createD3Gateway } from '../../src/d3/gateway.ts';
import { createRateLimiter } from '../../src/d3/rate-limit.ts';
import { createAuditTrail } from '../../src/domain/audit.ts';
import { type CloseRequest, createCloseIncident } from '../../src/domain/close-incident.ts';
import type { D3Gateway, Store } from '../../src/domain/ports.ts';
import { createSummaryDeliverer } from '../../src/domain/summaries.ts';
import type { Outcome, PendingSummary } from '../../src/domain/types.ts';
import { createLog } from '../../src/log.ts';
import { createStore } from '../../src/store/keyv-store.ts';
import { defaultIdentity, openRules } from '../support/close-deps.ts';
import { type FakeD3, startFakeD3 } from '../support/fake-d3.ts';

const N = '20200526-23';
const LOCK_TTL_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The use case wired as runtime/use-cases.ts wires it, over the fake D3 on loopback and a real store, with a
// lock TTL far shorter than the close (the app's own TTL is not configurable from outside). A D3
// call times out after at most three D3 timeouts (1.2 s here); delayed replies come later than that.
describe('a close and its per-incident lock', () => {
  let d3: FakeD3;
  let store: Store;
  let gateway: D3Gateway;
  let posted: PendingSummary[];
  let logs: string[];
  let closeIncident: (req: CloseRequest) => Promise<Outcome>;

  beforeEach(async () => {
    d3 = await startFakeD3();
    logs = [];
    const log = createLog(
      'info',
      new Writable({
        write(chunk, _enc, done) {
          logs.push(String(chunk));
          done();
        },
      }),
    );
    store = await createStore('memory://', { log });
    const key = new Secret('test-d3-key');
    gateway = createD3Gateway({
      client: createD3Client({
        baseUrl: d3.url,
        namespace: 'VSOC',
        apiKey: key,
        stateApiKey: key,
        keyHeader: 'd3key',
        timeoutMs: 400,
        closeCommand: 'CloseIncident',
      }),
      limiter: createRateLimiter({ maxRps: 40, queueMax: 10 }),
      retryDeadlineMs: 1_200,
      clockSkewMs: 120_000,
      log,
    });
    posted = [];
    const summaries = createSummaryDeliverer({
      store,
      post: async (p) => {
        posted.push(p);
        return { ok: true };
      },
      notifyNotPosted: async () => {},
      log,
      instanceId: 'instance-1',
      claimTtlMs: 5_000,
    });
    const resolveIdentity = defaultIdentity();
    closeIncident = createCloseIncident({
      rules: openRules,
      resolveIdentity,
      isInAllowedGroup: async () => true,
      d3: gateway,
      store,
      summaries,
      log,
      auditTrail: createAuditTrail({ store }),
      lockTtlMs: LOCK_TTL_MS,
    });
  });

  afterEach(async () => {
    await gateway.destroy();
    await store.close();
    await d3.stop();
  });

  const request = (slackUserId: string, requestId: string, note: string): CloseRequest => ({
    requestId,
    slackUserId,
    channelId: 'C1234',
    incidentNumber: N,
    note,
  });
  const notes = () => d3.closeCalls().map((c) => (c.body as { CommandParams: Record<string, string> }).CommandParams);

  it('refuses a second close while 429s, a slow call and a state check outlast the lock TTL', async () => {
    d3.script('close', { status: 429, fixture: '429.json', headers: { 'retry-after': '1' } }, { delayMs: 1_600 });
    d3.script('state', { delayMs: 250 });
    const first = closeIncident(request('U1234', 'req-first', 'first note'));

    const seconds: Outcome[] = [];
    for (const at of [500, 700, 500]) {
      await sleep(at);
      seconds.push(await closeIncident(request('U5678', `req-second-${seconds.length}`, 'second note')));
    }

    for (const s of seconds)
      expect(s).toMatchObject({ ok: false, error: { code: 'close_in_progress', detail: { holder: 'U1234' } } });
    expect(notes().map((p) => p['Incident Note'])).toEqual(['first note', 'first note']);
    expect(await first).toMatchObject({ ok: true, closure: { closedBy: 'jdoe' } });
    expect(posted).toHaveLength(1);
  });

  it('sends no further close and announces nothing once the lock is lost', async () => {
    d3.script('close', { delayMs: 1_600, acts: false });
    d3.script('state', { fixture: 'state-open.json' });
    const first = closeIncident(request('U1234', 'req-first', 'first note'));
    await sleep(50);
    await store.locks.release(`incident:${N}`, 'U1234/req-first');
    expect(await store.locks.acquire(`incident:${N}`, 'someone-else', 5_000)).toEqual({ acquired: true });

    expect(await first).toMatchObject({ ok: false, error: { code: 'lock_lost' } });
    expect(d3.closeCalls()).toHaveLength(1);
    expect(posted).toHaveLength(0);
    expect(logs.join('')).toContain('incident lock lost while closing');
  });
});
