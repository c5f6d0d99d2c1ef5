import { Keyv } from 'keyv';
import { describe, expect, it } from 'vitest';
import { keyvOptions } from '../../src/store/common.ts';
import { localParts } from '../../src/store/local-store.ts';
import { memoryQueue } from '../../src/store/queue-store.ts';

/** A keyv whose reads fail while `failing` is set, as a damaged or locked sqlite file would. */
function flakyParts() {
  const rows = new Map<string, unknown>();
  const state = { failing: false, warned: 0, setDelayMs: 0 };
  const backing = {
    get: async (k: string) => {
      if (state.failing) throw new Error('SQLITE_IOERR');
      return rows.get(k);
    },
    set: async (k: string, v: unknown) => {
      if (state.setDelayMs) await new Promise((r) => setTimeout(r, state.setDelayMs));
      rows.set(k, v);
    },
    delete: async (k: string) => rows.delete(k),
    clear: async () => rows.clear(),
  };
  const keyv = new Keyv({ ...keyvOptions, store: backing as never });
  const outbox = { put: async () => {}, remove: async () => {}, list: async () => [] };
  const parts = localParts(keyv, outbox, memoryQueue(), {
    log: { warn: () => void state.warned++ },
    deadlineMs: 100,
  });
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

  // attack15: the store's 3 s timeout rejected the caller, but once() went on, kept its claim and wrote
  // its mark, so a redelivery of an item told "outcome unknown" was dropped as "already received".
  it('a mark the file takes longer than the deadline to write is unknown, given back, and taken out of the file', async () => {
    const { parts, state, rows } = flakyParts();
    state.setDelayMs = 300;
    await expect(parts.once('request:T3:23', 5_000)).rejects.toThrow(/not confirmed/);
    // Asked again while the late write is under way: still unknown (it waits for it), never "a repeat".
    await expect(parts.once('request:T3:23', 5_000)).rejects.toThrow(/not confirmed/);
    await new Promise((r) => setTimeout(r, 1_000));
    // A restart would read the file: nothing there says the incident was asked for.
    expect(rows.has('ci:once:request:T3:23')).toBe(false);
    state.setDelayMs = 0;
    expect(await parts.once('request:T3:23', 5_000)).toBe(true);
    expect(await parts.once('request:T3:23', 5_000)).toBe(false);
    expect(rows.has('ci:once:request:T3:23')).toBe(true);
  });
});
