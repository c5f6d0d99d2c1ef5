import type { Store } from '../../src/domain/ports.ts';

/** One call of the store's locks or cache: `key` is the lock key, or `<namespace>:<key>` in the cache. */
export interface StoreCall {
  op: 'locks.acquire' | 'locks.release' | 'cache.get' | 'cache.set' | 'outbox.put' | 'outbox.remove' | 'once';
  /** For the outbox: the pending summary's id; for `once`, the key as asked (`request:<dedupeKey>:<n>`). */
  key: string;
  value?: unknown;
}

/**
 * A store whose chosen calls fail or wait (RuntimeOptions.wrapStore): the app's own store underneath, and
 * `before(call)`, set by the test, run ahead of each locks/cache call; what it throws is the store's error.
 */
export function storeFaults() {
  let before: ((call: StoreCall) => Promise<void> | void) | undefined;
  const ahead = async (call: StoreCall) => {
    await before?.(call);
  };
  return {
    set(hook: typeof before) {
      before = hook;
    },
    wrap(store: Store): Store {
      const { locks, cache, outbox } = store;
      return {
        ...store,
        once: async (key, ttlMs) => {
          await ahead({ op: 'once', key });
          return store.once(key, ttlMs);
        },
        outbox: {
          ...outbox,
          put: async (rec) => {
            await ahead({ op: 'outbox.put', key: rec.id, value: rec });
            return outbox.put(rec);
          },
          remove: async (id) => {
            await ahead({ op: 'outbox.remove', key: id });
            return outbox.remove(id);
          },
        },
        locks: {
          ...locks,
          acquire: async (key, holder, ttlMs) => {
            await ahead({ op: 'locks.acquire', key });
            return locks.acquire(key, holder, ttlMs);
          },
          release: async (key, holder) => {
            await ahead({ op: 'locks.release', key });
            return locks.release(key, holder);
          },
        },
        cache: {
          async get<T>(ns: string, key: string) {
            await ahead({ op: 'cache.get', key: `${ns}:${key}` });
            return cache.get<T>(ns, key);
          },
          async set<T>(ns: string, key: string, value: T, ttlMs: number) {
            await ahead({ op: 'cache.set', key: `${ns}:${key}`, value });
            return cache.set(ns, key, value, ttlMs);
          },
        },
      };
    },
  };
}

export const storeDown = () => new Error('store unavailable (test)');

/** Holds the store calls `hangs` picks until `release()`; `held()` counts those waiting now. */
export function holdCalls(faults: ReturnType<typeof storeFaults>, hangs: (c: StoreCall) => boolean) {
  let held = 0;
  let release = () => {};
  const stuck = new Promise<void>((r) => {
    release = r;
  });
  faults.set(async (c) => {
    if (!hangs(c)) return;
    held++;
    await stuck;
    held--;
  });
  return { held: () => held, release };
}
