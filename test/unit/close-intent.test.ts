import { beforeEach, describe, expect, it } from 'vitest';
import { createIntentResolver } from '../../src/domain/close-intent.ts';
import type { Store } from '../../src/domain/ports.ts';
import type { Closure, PendingSummary } from '../../src/domain/types.ts';
import { createLog } from '../../src/log.ts';
import { createStore } from '../../src/store/keyv-store.ts';

const closure = (n: string): Closure => ({ incidentNumber: n, site: 'Security Operations', note: 'storm' });
const base = { channelId: 'C1234', slackUserId: 'U1234', d3Username: 'jdoe', createdAt: new Date().toISOString() };
const intent = (requestId: string, id: string, n: string): PendingSummary => ({
  ...base,
  id,
  requestId,
  closure: closure(n),
  unconfirmed: {},
});
const summary = (requestId: string, id: string, ns: string[]): PendingSummary => ({
  ...base,
  id,
  requestId,
  closure: closure(ns[0] as string),
  ...(ns.length > 1 && { items: ns.map(closure) }),
});

/**
 * attack15: a list's close intents are dropped while any entry of the list's one summary names them:
 * the feed's copy (`.feed`) or the fallback (`.origin`) too, not only the channel's (`<requestId>`).
 */
describe('a close intent left beside its summary after a crash', () => {
  let store: Store;
  let asked: string[];
  let resolve: ReturnType<typeof createIntentResolver>;
  beforeEach(async () => {
    const log = createLog('silent');
    store = await createStore('memory://', { log });
    asked = [];
    resolve = createIntentResolver({
      store,
      d3: {
        confirmClosure: async (cmd) => {
          asked.push(cmd.incidentNumber);
          return closure(cmd.incidentNumber);
        },
      },
      lockTtlMs: 5_000,
      log,
    });
  });

  it.each([['R1'], ['R1.feed'], ['R1.origin']])(
    "a list's intent is dropped while its summary's entry %s names the incident",
    async (id) => {
      const p = intent('R1', 'R1:23', '23');
      await store.outbox.put(p);
      await store.outbox.put(summary('R1', id, ['23', '24']));
      expect(await resolve(p)).toBe('drop');
      expect(asked).toEqual([]);
    },
  );

  it("another request's summary, or one not naming the incident, leaves the intent to D3", async () => {
    const p = intent('R1', 'R1:23', '23');
    await store.outbox.put(p);
    await store.outbox.put(summary('R2', 'R2.feed', ['23', '24']));
    await store.outbox.put(summary('R1', 'R1.feed', ['24', '31']));
    expect(await resolve(p)).toMatchObject({ id: 'R1:23', closure: { incidentNumber: '23' } });
    expect(asked).toEqual(['23']);
  });

  it("a single close's intent is its own summary's entry: a feed copy alone does not drop it", async () => {
    const p = intent('S1', 'S1', '23');
    await store.outbox.put(p);
    await store.outbox.put(summary('S1', 'S1.feed', ['23']));
    expect(await resolve(p)).toMatchObject({ id: 'S1' });
    expect(asked).toEqual(['23']);
  });
});
