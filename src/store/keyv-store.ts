import type { Keyv } from 'keyv';
import type { MappingOverride, Store } from '../domain/ports.ts';
import type { PendingSummary } from '../domain/types.ts';
import { K, messageOf, type Opened, type Parts, redact, type StoreOptions } from './common.ts';
import { openMemory } from './local-store.ts';
import { openRedis } from './redis-store.ts';
import { openSqlite } from './sqlite-store.ts';

export type { StoreOptions } from './common.ts';

const pingTimeoutMs = 2_000;
/**
 * The longest one store call may take. A store that stops answering without dropping the connection
 * (a network partition, a paused VM, a long fork) fails nothing fast: without a bound every call waits,
 * and a closure D3 confirmed is neither told, posted nor recorded. Redis answers in milliseconds.
 */
const opTimeoutMs = 3_000;

/**
 * Opens the store named by STORE_URL: `memory://` (throwaway), `sqlite://<path>` (one process, survives
 * restarts) or `redis://` / `rediss://` (shared by every instance). Rejects when the store cannot be
 * reached at start, so the app fails before it listens; later outages make calls reject instead.
 */
export async function createStore(url: string, opts: StoreOptions = {}): Promise<Store> {
  const secrets = secretsIn(url);
  const scheme = url.slice(0, Math.max(0, url.indexOf('://')));
  let opened: Opened;
  if (scheme === 'memory') {
    opened = openMemory();
  } else if (scheme === 'sqlite') {
    opened = await openSqlite(url.slice('sqlite://'.length), opts);
  } else if (scheme === 'redis' || scheme === 'rediss') {
    opened = await openRedis(url, opts, secrets);
  } else {
    throw new Error(`store: unsupported URL scheme '${scheme}' (use memory://, sqlite://, redis:// or rediss://)`);
  }
  return assemble(opened.keyv, opened.parts, secrets);
}

function assemble(keyv: Keyv, p: Parts, secrets: string[]): Store {
  let closing: Promise<void> | undefined;
  const run = async <T>(op: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await withTimeout(fn(), opTimeoutMs);
    } catch (e) {
      throw storeError(op, e, secrets);
    }
  };
  return {
    locks: {
      acquire: (key, holder, ttlMs) => run('locks.acquire', () => p.locks.acquire(key, holder, ms(ttlMs))),
      release: (key, holder) => run('locks.release', () => p.locks.release(key, holder)),
      extend: (key, holder, ttlMs) => run('locks.extend', () => p.locks.extend(key, holder, ms(ttlMs))),
    },
    once: (key, ttlMs) => run('once', () => p.once(key, ms(ttlMs))),
    outbox: {
      put: (rec) => run('outbox.put', () => p.outbox.put(rec)),
      remove: (id) => run('outbox.remove', () => p.outbox.remove(id)),
      list: () => run('outbox.list', async () => (await p.outbox.list()).sort(byCreatedAt)),
    },
    queue: {
      put: (e) => run('queue.put', () => p.queue.put(e)),
      get: (id) => run('queue.get', () => p.queue.get(id)),
      remove: (id) => run('queue.remove', () => p.queue.remove(id)),
      list: () => run('queue.list', async () => (await p.queue.list()).sort((a, b) => a.createdAt - b.createdAt)),
    },
    audit: {
      append: (rec) => run('audit.append', () => p.audit.append(rec)),
      history: (n, limit = 20) => run('audit.history', async () => (limit > 0 ? p.audit.history(n, limit) : [])),
      byUser: (u, limit = 10) => run('audit.byUser', async () => (limit > 0 ? p.audit.byUser(u, limit) : [])),
    },
    cache: {
      get: <T>(ns: string, key: string) => run('cache.get', () => keyv.get<T>(K.cache(ns, key))),
      set: async <T>(ns: string, key: string, value: T, ttlMs: number) => {
        await run('cache.set', () => keyv.set(K.cache(ns, key), value, ms(ttlMs)));
      },
    },
    overrides: {
      get: (id) => run('overrides.get', () => keyv.get<MappingOverride>(K.map(id))),
      set: async (id, o) => {
        await run('overrides.set', () => keyv.set(K.map(id), o));
      },
      delete: (id) => run('overrides.delete', () => keyv.delete(K.map(id))),
    },
    ping: () => withTimeout(p.ping(), pingTimeoutMs).catch(() => false),
    close: () => (closing ??= run('close', () => p.close())),
  };
}

const ms = (ttlMs: number) => Math.max(1, Math.ceil(ttlMs));
const byCreatedAt = (a: PendingSummary, b: PendingSummary) => a.createdAt.localeCompare(b.createdAt);

function storeError(op: string, e: unknown, secrets: string[]): Error {
  const raw = messageOf(e);
  const message = redact(raw, secrets);
  // Keep the original as `cause` only when it carries no secret (a logger would print it too).
  return new Error(`store: ${op} failed: ${message}`, message === raw ? { cause: e } : undefined);
}

function secretsIn(url: string): string[] {
  const found = [/^[a-z]+:\/\/[^/@]*?:([^/@]+)@/i.exec(url)?.[1]];
  try {
    const { password } = new URL(url);
    found.push(password, decodeURIComponent(password));
  } catch {}
  return [...new Set(found.filter((s): s is string => !!s))];
}

async function withTimeout<T>(p: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
