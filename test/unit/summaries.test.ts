import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Store } from '../../src/domain/ports.ts';
import {
  createSummaryDeliverer,
  type PostResult,
  type Seen,
  type SummaryDeps,
  type SummaryEvent,
} from '../../src/domain/summaries.ts';
import type { PendingSummary } from '../../src/domain/types.ts';
import { createLog } from '../../src/log.ts';
import { createStore } from '../../src/store/keyv-store.ts';

const pending = (id: string, createdAt = new Date().toISOString()): PendingSummary => ({
  id,
  channelId: 'C1234',
  slackUserId: 'U1234',
  d3Username: 'jdoe',
  closure: { incidentNumber: id, site: 'Security Operations', note: 'benign' },
  requestId: id,
  createdAt,
});
const longAgo = '2020-05-26T09:00:00.000Z';
const gate = () => {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
};
const down = () => Promise.reject(new Error('store: connection lost'));

describe('summary delivery', () => {
  const stores: Store[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  const memoryStore = async () => {
    const store = await createStore('memory://');
    stores.push(store);
    return store;
  };
  const deliverer = (over: Partial<SummaryDeps> & Pick<SummaryDeps, 'store' | 'post'>) =>
    createSummaryDeliverer({
      notifyNotPosted: async () => {},
      log: createLog('silent'),
      instanceId: 'instance-1',
      claimTtlMs: 30_000,
      ...over,
    });

  it('leaves a summary to its live post when the retry loop lists it between the outbox write and the claim', async () => {
    const store = await memoryStore();
    const replayPosting = gate();
    const posted: string[] = [];
    let replay: Promise<number> | undefined;
    let racing = false;
    const summaries = deliverer({
      store: {
        ...store,
        outbox: {
          ...store.outbox,
          put: async (p) => {
            await store.outbox.put(p);
            racing = true;
            replay = summaries.replayPending();
            await new Promise((resolve) => setTimeout(resolve, 20));
            racing = false;
          },
        },
      },
      post: async (p) => {
        posted.push(p.id);
        if (racing) await replayPosting.opened;
        return { ok: true };
      },
    });

    const delivery = await summaries.deliver(pending('live', longAgo));
    replayPosting.open();
    await replay;

    expect(delivery).toEqual({ status: 'posted', channelId: 'C1234' });
    expect(posted).toEqual(['live']);
    expect(await store.outbox.list()).toEqual([]);
  });

  it.each([
    { lookUp: false, told: { status: 'handled_elsewhere', channelId: 'C1234' } },
    { lookUp: true, told: { status: 'posted', channelId: 'C1234' } },
  ])(
    'waits for another instance holding the claim, then reports what it did (look-up: $lookUp)',
    async ({ lookUp, told }) => {
      const store = await memoryStore();
      const otherPosting = gate();
      const posted: string[] = [];
      const post = async (p: PendingSummary): Promise<PostResult> => {
        posted.push(p.id);
        return { ok: true };
      };
      const findPosted = async (p: PendingSummary): Promise<Seen> =>
        posted.includes(p.id) ? { seen: 'posted' } : { seen: 'absent' };
      const other = deliverer({
        store,
        instanceId: 'instance-2',
        post: async (p) => {
          await otherPosting.opened;
          return post(p);
        },
      });
      let replay: Promise<number> | undefined;
      const summaries = deliverer({
        store: {
          ...store,
          outbox: {
            ...store.outbox,
            put: async (p) => {
              await store.outbox.put(p);
              replay = other.replayPending();
              await new Promise((resolve) => setTimeout(resolve, 20));
            },
          },
        },
        post,
        findPosted: lookUp ? findPosted : undefined,
      });

      const live = summaries.deliver(pending('x', longAgo));
      await new Promise((resolve) => setTimeout(resolve, 100));
      otherPosting.open();

      expect(await live).toEqual(told);
      await replay;
      expect(posted).toEqual(['x']);
    },
  );

  it('renews the claim while a post outlasts it, so another instance does not post the summary too', async () => {
    const store = await memoryStore();
    const posted: string[] = [];
    const slow = gate();
    const summaries = deliverer({
      store,
      claimTtlMs: 100,
      post: async (p) => {
        posted.push(p.id);
        await slow.opened;
        return { ok: true };
      },
    });
    const other = deliverer({
      store,
      instanceId: 'instance-2',
      claimTtlMs: 100,
      post: async (p) => {
        posted.push(`${p.id} again`);
        return { ok: true };
      },
    });

    const live = summaries.deliver(pending('x'));
    for (let round = 0; round < 5; round++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await other.replayPending();
    }
    slow.open();

    expect(await live).toEqual({ status: 'posted', channelId: 'C1234' });
    expect(posted).toEqual(['x']);
  });

  it('keeps at most heldMax closures in memory while the store is down, and says so for the one past it', async () => {
    const store = await memoryStore();
    const events: SummaryEvent[] = [];
    const summaries = deliverer({
      store: { ...store, outbox: { ...store.outbox, put: down }, locks: { ...store.locks, acquire: down } },
      post: async () => ({ ok: false, slackError: 'service_unavailable', permanent: false }),
      heldMax: 2,
      observe: (e) => events.push(e),
    });

    const told = [];
    for (const id of ['a', 'b', 'c']) told.push(await summaries.deliver(pending(id)));

    expect(told).toEqual([
      {
        status: 'not_posted',
        channelId: 'C1234',
        slackError: 'service_unavailable',
        willRetry: true,
        heldInMemory: true,
      },
      {
        status: 'not_posted',
        channelId: 'C1234',
        slackError: 'service_unavailable',
        willRetry: true,
        heldInMemory: true,
      },
      { status: 'not_posted', channelId: 'C1234', slackError: 'service_unavailable', willRetry: false },
    ]);
    expect(summaries.held()).toBe(2);
    expect(events.filter((e) => e === 'dropped')).toHaveLength(1);
    expect(events.filter((e) => e === 'put_failed')).toHaveLength(3);
  });

  it('puts off a replay while the history look-up cannot answer, then posts anyway (at least once)', async () => {
    const store = await memoryStore();
    await store.outbox.put(pending('x', longAgo));
    const posted: string[] = [];
    const summaries = deliverer({
      store,
      post: async (p) => {
        posted.push(p.id);
        return { ok: true };
      },
      findPosted: async () => ({ seen: 'unknown', reason: 'ratelimited', transient: true }),
    });

    expect([await summaries.replayPending(), await summaries.replayPending()]).toEqual([0, 0]);
    expect(posted).toEqual([]);
    expect(await summaries.replayPending()).toBe(1);
    expect(posted).toEqual(['x']);
  });

  it('removes, and does not post again, a summary the look-up finds in the channel', async () => {
    const store = await memoryStore();
    await store.outbox.put(pending('x', longAgo));
    const post = vi.fn(async (): Promise<PostResult> => ({ ok: true }));
    const summaries = deliverer({ store, post, findPosted: async () => ({ seen: 'posted' }) });

    expect(await summaries.replayPending()).toBe(0);
    expect(post).not.toHaveBeenCalled();
    expect(await store.outbox.list()).toEqual([]);
  });

  it('does not post again a summary whose outbox entry could not be removed after it was posted', async () => {
    const store = await memoryStore();
    let removeWorks = false;
    const posted: string[] = [];
    const summaries = deliverer({
      store: {
        ...store,
        outbox: { ...store.outbox, remove: (id) => (removeWorks ? store.outbox.remove(id) : down()) },
      },
      post: async (p) => {
        posted.push(p.id);
        return { ok: true };
      },
    });

    expect(await summaries.deliver(pending('x', longAgo))).toEqual({ status: 'posted', channelId: 'C1234' });
    await summaries.replayPending();
    removeWorks = true;
    await summaries.replayPending();

    expect(posted).toEqual(['x']);
    expect(await store.outbox.list()).toEqual([]);
  });
});
