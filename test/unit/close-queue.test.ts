import { afterEach, describe, expect, it } from 'vitest';
import { shuttingDown } from '../../src/d3/rate-limit.ts';
import type { CloseRequest } from '../../src/domain/close-incident.ts';
import { createCloseQueue } from '../../src/domain/close-queue.ts';
import { CloseError } from '../../src/domain/errors.ts';
import type { Store } from '../../src/domain/ports.ts';
import type { Outcome } from '../../src/domain/types.ts';
import { createLog } from '../../src/log.ts';
import { createStore } from '../../src/store/keyv-store.ts';

/**
 * The order that makes an acknowledged close durable: stored before "Closing…" is sent, and removed
 * only after the analyst was told. A crash between any two steps then leaves either nothing
 * acknowledged, or a stored close that the takeover finishes and tells. (fleet-queue.test.ts kills a
 * real process at random points; this pins the order every time.)
 */
async function waitUntil(done: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('condition never held');
}

describe('durable close queue: acknowledge after store, remove after tell', () => {
  const stores: Store[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  async function setup() {
    const store = await createStore('memory://');
    stores.push(store);
    const steps: string[] = [];
    const queueStore = store.queue;
    const watched: Store['queue'] = {
      ...queueStore,
      put: async (e) => {
        await queueStore.put(e);
        steps.push(`stored:${e.attemptedAt === undefined ? 'new' : 'attempted'}`);
      },
      remove: async (id) => {
        await queueStore.remove(id);
        steps.push('removed');
      },
    };
    const closed: Outcome = { ok: true, closure: {} as never, d3Username: 'jane.d3' };
    const queue = createCloseQueue({
      store: { queue: watched, locks: store.locks, outbox: store.outbox },
      closeIncident: async (req) => {
        steps.push(`close:${req.incidentNumber}`);
        // What is stored while the close runs is what a takeover would find.
        steps.push(`listed:${(await queueStore.list()).length}`);
        return closed;
      },
      tell: async () => void steps.push('told by DM'),
      instanceId: 'instance-1',
      claimTtlMs: 30_000,
      stopD3Queue: () => {},
      log: createLog('silent'),
    });
    const req: CloseRequest = {
      requestId: 'req-1',
      slackUserId: 'U1234',
      channelId: 'C1234',
      incidentNumber: '20200526-23',
      note: 'benign scanner',
      responseUrl: 'https://hooks.slack.test/r1',
      acknowledge: async () => void steps.push('acknowledged'),
      tell: async () => void steps.push('told'),
    };
    return { queue, steps, req, queueStore };
  }

  it('sends "Closing…" only once the close is stored, and forgets it only after the analyst is told', async () => {
    const { queue, steps, req, queueStore } = await setup();
    const outcome = await queue.accept(req);
    expect(outcome.ok).toBe(true);
    expect(steps).toEqual(['stored:new', 'acknowledged', 'close:20200526-23', 'listed:1', 'told', 'removed']);
    expect(await queueStore.list()).toEqual([]);
  });

  it('a stored close that throws is kept for the takeover, and told and forgotten only after its third throw', async () => {
    const store = await createStore('memory://');
    stores.push(store);
    const toldByQueue: Outcome[] = [];
    const takenOverTold: Outcome[] = [];
    let runs = 0;
    const queue = createCloseQueue({
      store,
      closeIncident: async () => {
        runs++;
        throw new Error('store did not answer');
      },
      tell: async (_e, o) => void takenOverTold.push(o),
      instanceId: 'instance-1',
      claimTtlMs: 30_000,
      stopD3Queue: () => {},
      log: createLog('silent'),
    });
    const outcome = await queue.accept({
      requestId: 'req-throws',
      slackUserId: 'U1234',
      channelId: 'C1234',
      incidentNumber: '20200526-23',
      note: 'benign scanner',
      tell: async (o) => void toldByQueue.push(o),
    });
    // The caller tells the analyst it is kept; the entry stays for the takeover.
    expect(outcome).toMatchObject({ ok: false, error: { code: 'close_deferred' } });
    expect(toldByQueue).toEqual([]);
    expect(await store.queue.list()).toMatchObject([{ id: 'req-throws', failures: 1 }]);

    await queue.takeOver();
    await waitUntil(() => runs === 2);
    await waitUntil(async () => (await store.queue.list())[0]?.failures === 2);
    expect(takenOverTold).toEqual([]);

    await queue.takeOver();
    await waitUntil(() => takenOverTold.length === 1);
    expect(takenOverTold[0]).toMatchObject({ ok: false, error: { code: 'internal' } });
    await waitUntil(async () => (await store.queue.list()).length === 0);
    expect(await queue.takeOver()).toBe(0);
    expect(runs).toBe(3);
  });

  it('a reply that fails goes as a taken-over close’s would (response_url, else a DM), then the entry goes', async () => {
    const { queue, steps, req, queueStore } = await setup();
    const failing = { ...req, tell: () => Promise.reject(new Error('response_url timed out')) };
    expect((await queue.accept(failing)).ok).toBe(true);
    expect(steps).toEqual(['stored:new', 'acknowledged', 'close:20200526-23', 'listed:1', 'told by DM', 'removed']);
    expect(await queueStore.list()).toEqual([]);
  });

  it('at a graceful stop hands over the close the stop refused, and forgets one D3 refused with a 503', async () => {
    const store = await createStore('memory://');
    stores.push(store);
    let stopD3Queue = () => {};
    const stopped = new Promise<void>((resolve) => {
      stopD3Queue = resolve;
    });
    const queue = createCloseQueue({
      store,
      closeIncident: async (req) => {
        await stopped;
        const error =
          req.incidentNumber === '20200526-23'
            ? shuttingDown()
            : new CloseError('d3_unavailable', { notSent: true, status: 503 });
        return { ok: false, error };
      },
      tell: async () => {},
      instanceId: 'instance-1',
      claimTtlMs: 30_000,
      stopD3Queue,
      log: createLog('silent'),
    });
    const told: string[] = [];
    const accept = (requestId: string, incidentNumber: string) =>
      queue.accept({
        requestId,
        slackUserId: 'U1234',
        channelId: 'C1234',
        incidentNumber,
        note: 'benign scanner',
        tell: async (o) => void told.push(`${incidentNumber} ${o.ok ? 'closed' : o.error.code}`),
      });
    const waiting = [accept('req-waiting', '20200526-23'), accept('req-503', '20200526-24')];
    await waitUntil(async () => (await store.queue.list()).length === 2);
    await queue.handOver();
    await Promise.all(waiting);
    expect(told.sort()).toEqual(['20200526-23 close_handed_over', '20200526-24 d3_unavailable']);
    // Kept stored and unclaimed: another instance, or the restart, takes it over.
    expect((await store.queue.list()).map((e) => e.id)).toEqual(['req-waiting']);
    expect(await store.locks.acquire('queue:req-waiting', 'instance-2', 1_000)).toMatchObject({ acquired: true });
  });

  it('without the store the close is still acknowledged and run, in memory only', async () => {
    const { queue, steps, req } = await setup();
    const broken = await createStore('memory://');
    stores.push(broken);
    const q = createCloseQueue({
      store: {
        queue: { ...broken.queue, put: () => Promise.reject(new Error('store: connection lost')) },
        locks: broken.locks,
        outbox: broken.outbox,
      },
      closeIncident: async (r) => {
        steps.push(`close:${r.incidentNumber}`);
        return { ok: true, closure: {} as never, d3Username: 'jane.d3' };
      },
      tell: async () => {},
      instanceId: 'instance-1',
      claimTtlMs: 30_000,
      stopD3Queue: () => {},
      log: createLog('silent'),
    });
    void queue;
    const outcome = await q.accept(req);
    expect(outcome.ok).toBe(true);
    // Told by the queue as a stored close is (a refused reply then goes by DM: attack11-memory-close-untold).
    expect(steps).toEqual(['acknowledged', 'close:20200526-23', 'told']);
  });
});
