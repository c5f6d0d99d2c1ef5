import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditTrail } from '../../src/domain/audit.ts';
import { createBulkClose } from '../../src/domain/bulk-close.ts';
import type { CloseCommand, Store } from '../../src/domain/ports.ts';
import { createLog } from '../../src/log.ts';
import { bulkResultList } from '../../src/slack/render/bulk.ts';
import { createStore } from '../../src/store/keyv-store.ts';
import { defaultIdentity, openRules, postingSummaries } from '../support/close-deps.ts';

const NUMBERS = ['20200526-23', '20200526-24', '20200526-31'];

/** A list's de-duplication when the store cannot say whether an incident was already asked for. */
describe('a bulk close whose de-duplication mark cannot be read', () => {
  let store: Store;
  let sent: string[];
  let unreadable: Set<string>;
  let bulkClose: ReturnType<typeof createBulkClose>;

  beforeEach(async () => {
    const log = createLog('silent');
    store = await createStore('memory://', { log });
    sent = [];
    unreadable = new Set();
    const flaky: Store = {
      ...store,
      once: (key, ttlMs) =>
        [...unreadable].some((n) => key.endsWith(`:${n}`))
          ? Promise.reject(new Error('store: once failed: SQLITE_IOERR'))
          : store.once(key, ttlMs),
    };
    const closed = (cmd: CloseCommand) => ({ incidentNumber: cmd.incidentNumber, site: cmd.site, note: cmd.note });
    bulkClose = createBulkClose({
      rules: openRules,
      resolveIdentity: defaultIdentity(),
      isInAllowedGroup: async () => true,
      d3: {
        closeIncident: async (cmd) => closed(cmd),
        closeIncidents: async (cmds, onResult) => {
          for (const cmd of cmds) {
            sent.push(cmd.incidentNumber);
            onResult(cmd.incidentNumber, { ok: true, closure: closed(cmd) });
          }
        },
      },
      store: flaky,
      summaries: postingSummaries(store, log),
      log,
      auditTrail: createAuditTrail({ store }),
      lockTtlMs: 30_000,
      bulkMax: 100,
    });
  });
  afterEach(async () => {
    await store.close();
  });

  const request = (requestId: string) => ({
    requestId,
    dedupeKey: 'command:1337.trigger',
    slackUserId: 'U1234',
    channelId: 'C1234',
    incidentNumbers: NUMBERS,
    note: 'storm',
  });

  it('sends the others, and for the unreadable one sends nothing and says its outcome is unknown', async () => {
    unreadable.add('20200526-24');
    const outcome = await bulkClose(request('req-1'));
    expect(sent).toEqual(['20200526-23', '20200526-31']);
    if (!outcome.ok) throw new Error('expected a list');
    const list = bulkResultList(outcome.items, { final: true }).text;
    expect(list).toContain('2 closed, 1 outcome unknown');
    expect(list).toContain('*20200526-24* — outcome unknown: Something went wrong inside the bot');
    expect(list).toContain('Check the incident in D3');
    expect((await store.audit.history('20200526-24')).map((r) => [r.outcome, r.code])).toEqual([
      ['failed', 'dedupe_unreadable'],
    ]);
  });

  it('lets a redelivery close the incident whose mark could not be read, and drops the rest as repeats', async () => {
    unreadable.add('20200526-24');
    await bulkClose(request('req-1'));
    unreadable.clear();
    const again = await bulkClose(request('req-2'));
    expect(sent).toEqual(['20200526-23', '20200526-31', '20200526-24']);
    if (!again.ok) throw new Error('expected a list');
    const list = bulkResultList(again.items, { final: true }).text;
    expect(list).toContain('1 closed, 2 refused');
    expect(list).toContain('20200526-23 was already asked for by this same request');
  });

  it('drops a list every incident of which was already asked for, as one repeat', async () => {
    await bulkClose(request('req-1'));
    expect(await bulkClose(request('req-2'))).toMatchObject({
      ok: false,
      error: { code: 'duplicate_request', detail: { count: 3 } },
    });
    expect(sent).toEqual(NUMBERS);
  });

  it('says the list is taken, with how many it sends, before any is sent; never for a list every mark of which is taken or unreadable', async () => {
    const taken: Array<[number, string[]]> = [];
    const told = (requestId: string) => ({
      ...request(requestId),
      taken: async (count: number) => {
        taken.push([count, [...sent]]);
      },
    });
    unreadable.add('20200526-24');
    await bulkClose(told('req-1'));
    unreadable.clear();
    await bulkClose(told('req-2'));
    const repeat = await bulkClose(told('req-3'));
    unreadable.add('20200526-23').add('20200526-24').add('20200526-31');
    await bulkClose({ ...told('req-4'), dedupeKey: 'command:another.trigger' });
    expect(taken).toEqual([
      [2, []],
      [1, ['20200526-23', '20200526-31']],
    ]);
    expect(repeat).toMatchObject({ ok: false, error: { code: 'duplicate_request' } });
  });
});
