import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shuttingDown } from '../../src/d3/rate-limit.ts';
import { createAuditTrail } from '../../src/domain/audit.ts';
import { type CloseRequest, createCloseIncident } from '../../src/domain/close-incident.ts';
import { CloseError } from '../../src/domain/errors.ts';
import type { Store } from '../../src/domain/ports.ts';
import { createLog } from '../../src/log.ts';
import { createStore } from '../../src/store/keyv-store.ts';
import { defaultIdentity, openRules, postingSummaries } from '../support/close-deps.ts';

/**
 * The stop's refusal (the limiter's shuttingDown) defers a close from the durable queue, which is kept
 * for another instance or the restart: audited and counted `handed_over`. A close held in memory (the
 * store refused it) is not taken over by anyone, so the same refusal fails it, as does D3's own 503.
 */
describe('the audit of a close the stop refused before D3 was asked', () => {
  let store: Store;
  let observed: string[];
  let refusal: CloseError;
  let closeIncident: ReturnType<typeof createCloseIncident>;

  beforeEach(async () => {
    const log = createLog('silent');
    store = await createStore('memory://', { log });
    observed = [];
    closeIncident = createCloseIncident({
      rules: openRules,
      resolveIdentity: defaultIdentity(),
      isInAllowedGroup: async () => true,
      d3: { closeIncident: () => Promise.reject(refusal) },
      store,
      summaries: postingSummaries(store, log),
      log,
      observe: (outcome, code) => void observed.push(`${outcome}:${code ?? ''}`),
      auditTrail: createAuditTrail({ store }),
      lockTtlMs: 30_000,
    });
  });
  afterEach(async () => {
    await store.close();
  });

  const request = (requestId: string, incidentNumber: string, queued: boolean): CloseRequest => ({
    requestId,
    slackUserId: 'U1234',
    channelId: 'C1234',
    incidentNumber,
    note: 'benign scanner',
    ...(queued && {
      queued: { resumed: false, signal: new AbortController().signal, beforeFirstSend: async () => {} },
    }),
  });
  const attempts = async (n: string) =>
    (await store.audit.history(n)).map((r) => `${r.requestId} ${r.outcome}${r.code ? ` (${r.code})` : ''}`);

  it('a queued close is handed over; the same close held in memory fails', async () => {
    refusal = shuttingDown();
    expect(await closeIncident(request('req-queued', '20200526-23', true))).toMatchObject({
      ok: false,
      error: { code: 'd3_unavailable', detail: { stopping: true } },
    });
    expect(await closeIncident(request('req-memory', '20200526-24', false))).toMatchObject({ ok: false });
    expect(await attempts('20200526-23')).toEqual(['req-queued handed_over']);
    expect(await attempts('20200526-24')).toEqual(['req-memory failed (d3_unavailable)']);
    expect(observed).toEqual(['handed_over:', 'failed:d3_unavailable']);
  });

  it('a queued close D3 refused with a 503 fails: only the stop’s mark hands over, not "D3 did not act" alone', async () => {
    refusal = new CloseError('d3_unavailable', { notSent: true, status: 503 });
    await closeIncident(request('req-503', '20200526-25', true));
    expect(await attempts('20200526-25')).toEqual(['req-503 failed (d3_unavailable)']);
  });
});
