import { Keyv } from 'keyv';
import { describe, expect, it } from 'vitest';
import { keyvOptions } from '../../src/store/common.ts';
import { localParts } from '../../src/store/local-store.ts';
import { memoryQueue } from '../../src/store/queue-store.ts';

/** A keyv whose reads fail while `failing` is set, as a damaged or locked sqlite file would. */
function flakyParts() {
  const rows = new Map<string, unknown>();
  const state = { failing: false, warned: 0 };
  const backing = {
    get: async (k: string) => {
      if (state.failing) throw new Error('SQLITE_IOERR');
      return rows.get(k);
    },
    set: async (k: string, v: unknown) => void rows.set(k, v),
    delete: async (k: string) => rows.delete(k),
    clear: async () => rows.clear(),
  };
  const keyv = new Keyv({ ...keyvOptions, store: backing as never });
  const outbox = { put: async () => {}, remove: async () => {}, list: async () => [] };
  const parts = localParts(keyv, outbox, memoryQueue(), { log: { warn: () => void state.warned++ } });
  return { parts, state, rows };
}

describe('once() kept in the file (sqlite://)', () => {
  it('answers true to exactly one of 20 concurrent callers and writes the mark once', async () => {
    const { parts, rows } = flakyParts();
    const firsts = await Promise.all(Array.from({ length: 20 }, () => parts.once('request:T1:23', 5_000)));
    expect(firsts.filter(Boolean)).toHaveLength(1);
    expect([...rows.keys()]).toEqual(['ci:once:request:T1:23']);
  });

  it('rejects when the file cannot be read, and lets a later delivery of the same key ask again', async () => {
    const { parts, state } = flakyParts();
    state.failing = true;
    await expect(parts.once('request:T2:23', 5_000)).rejects.toThrow('SQLITE_IOERR');
    state.failing = false;
    expect(await parts.once('request:T2:23', 5_000)).toBe(true);
    expect(await parts.once('request:T2:23', 5_000)).toBe(false);
  });
});
