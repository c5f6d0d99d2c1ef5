import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import KeyvRedis, { createClient } from '@keyv/redis';
import KeyvSqlite from '@keyv/sqlite';
import { Keyv } from 'keyv';
import type { AuditRecord, PendingSummary } from '../domain/types.ts';
import type { Log } from '../log.ts';
import type { LockResult, MappingOverride, Store } from './ports.ts';

export interface StoreOptions {
  /** Connection trouble after start-up is logged here (once per outage), never thrown from an event. */
  log?: Pick<Log, 'warn' | 'info'>;
}

const auditCap = 200;
const auditTtlMs = 90 * 24 * 60 * 60 * 1000;
const pingTimeoutMs = 2_000;
const K = {
  lock: (key: string) => `ci:lock:${key}`,
  once: (key: string) => `ci:once:${key}`,
  /** One record per pending summary: a Redis hash, or one keyv value holding the map elsewhere. */
  outbox: 'ci:outbox',
  audit: (incidentNumber: string) => `ci:audit:${incidentNumber}`,
  cache: (ns: string, key: string) => `ci:cache:${ns}:${key}`,
  map: (slackUserId: string) => `ci:map:${slackUserId}`,
  ping: 'ci:ping',
};

/** The parts whose atomicity differs per backend; cache and overrides are plain keyv on all of them. */
type Parts = Pick<Store, 'locks' | 'once' | 'outbox' | 'audit' | 'ping' | 'close'>;

/**
 * Opens the store named by STORE_URL: `memory://` (throwaway), `sqlite://<path>` (one process, survives
 * restarts) or `redis://` / `rediss://` (shared by every instance). Rejects when the store cannot be
 * reached at start, so the app fails before it listens; later outages make calls reject instead.
 */
export async function createStore(url: string, opts: StoreOptions = {}): Promise<Store> {
  const secrets = secretsIn(url);
  const scheme = url.slice(0, Math.max(0, url.indexOf('://')));
  let opened: { keyv: Keyv; parts: Parts };
  if (scheme === 'memory') {
    const keyv = new Keyv({ namespace: undefined, useKeyPrefix: false, throwOnErrors: true });
    opened = { keyv, parts: localParts(keyv) };
  } else if (scheme === 'sqlite') {
    opened = await openSqlite(url.slice('sqlite://'.length));
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
      return await fn();
    } catch (e) {
      throw storeError(op, e, secrets);
    }
  };
  return {
    locks: {
      acquire: (key, holder, ttlMs) => run('locks.acquire', () => p.locks.acquire(key, holder, ms(ttlMs))),
      release: (key, holder) => run('locks.release', () => p.locks.release(key, holder)),
    },
    once: (key, ttlMs) => run('once', () => p.once(key, ms(ttlMs))),
    outbox: {
      put: (rec) => run('outbox.put', () => p.outbox.put(rec)),
      remove: (id) => run('outbox.remove', () => p.outbox.remove(id)),
      list: () => run('outbox.list', async () => (await p.outbox.list()).sort(byCreatedAt)),
    },
    audit: {
      append: (rec) => run('audit.append', () => p.audit.append(rec)),
      history: (n, limit = 20) => run('audit.history', async () => (limit > 0 ? p.audit.history(n, limit) : [])),
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

async function openSqlite(path: string): Promise<{ keyv: Keyv; parts: Parts }> {
  if (path === '') throw new Error('store: sqlite:// needs a file path, e.g. sqlite://./data/close-incident.sqlite');
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  // sqlite3 runs each statement in its own transaction with the default synchronous=FULL journal, so
  // a write is on disk when its promise resolves (an outbox record survives a kill right after put).
  const keyv = new Keyv(new KeyvSqlite({ uri: `sqlite://${path}`, busyTimeout: 5_000 }), {
    namespace: undefined,
    useKeyPrefix: false,
    throwOnErrors: true,
  });
  try {
    await keyv.has(K.ping);
  } catch (e) {
    await keyv.disconnect().catch(() => {});
    throw new Error(`store: cannot open sqlite file ${path}: ${messageOf(e)}`, { cause: e });
  }
  return { keyv, parts: localParts(keyv) };
}

/**
 * memory:// and sqlite:// serve ONE process by design: locks and once() live in this process's memory
 * (a check-and-set on a Map has no await inside, so concurrent callers here are exactly-once) and
 * read-modify-writes are chained per key. Two processes on one sqlite file would not exclude each other.
 */
function localParts(keyv: Keyv): Parts {
  const held = new Map<string, { value: string; until: number }>();
  const tails = new Map<string, Promise<unknown>>();
  let sweepAt = 1_000;
  /** Returns the current holder, or undefined after taking the key for ttlMs. */
  const claim = (key: string, value: string, ttlMs: number): string | undefined => {
    const now = Date.now();
    const cur = held.get(key);
    if (cur && cur.until > now) return cur.value;
    if (held.size >= sweepAt) {
      for (const [k, v] of held) if (v.until <= now) held.delete(k);
      sweepAt = Math.max(1_000, held.size * 2);
    }
    held.set(key, { value, until: now + ttlMs });
    return undefined;
  };
  const serially = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const run = (tails.get(key) ?? Promise.resolve()).then(fn);
    const tail = run.catch(() => {});
    tails.set(key, tail);
    void tail.then(() => tails.get(key) === tail && tails.delete(key));
    return run;
  };
  const outbox = async () => (await keyv.get<Record<string, PendingSummary>>(K.outbox)) ?? {};
  const history = async (n: string) => (await keyv.get<AuditRecord[]>(K.audit(n))) ?? [];
  return {
    locks: {
      acquire: async (key, holder, ttlMs): Promise<LockResult> => {
        const cur = claim(K.lock(key), holder, ttlMs);
        return cur === undefined ? { acquired: true } : { acquired: false, holder: cur };
      },
      release: async (key, holder) => {
        const cur = held.get(K.lock(key));
        if (cur?.value === holder) held.delete(K.lock(key));
      },
    },
    once: async (key, ttlMs) => claim(K.once(key), '1', ttlMs) === undefined,
    outbox: {
      put: (rec) =>
        serially(K.outbox, async () => void (await keyv.set(K.outbox, { ...(await outbox()), [rec.id]: rec }))),
      remove: (id) =>
        serially(K.outbox, async () => {
          const all = await outbox();
          if (!Object.hasOwn(all, id)) return;
          delete all[id];
          await keyv.set(K.outbox, all);
        }),
      list: async () => Object.values(await outbox()),
    },
    audit: {
      append: (rec) =>
        serially(K.audit(rec.incidentNumber), async () => {
          const next = [rec, ...(await history(rec.incidentNumber))].slice(0, auditCap);
          await keyv.set(K.audit(rec.incidentNumber), next, auditTtlMs);
        }),
      history: async (n, limit = 20) => (await history(n)).slice(0, limit),
    },
    ping: async () => {
      await keyv.has(K.ping);
      return true;
    },
    close: () => keyv.disconnect(),
  };
}

const releaseScript = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";

async function openRedis(url: string, opts: StoreOptions, secrets: string[]): Promise<{ keyv: Keyv; parts: Parts }> {
  let everReady = false;
  let down = false;
  let client: ReturnType<typeof createClient>;
  try {
    client = createClient({
      url,
      // Fail fast instead of queueing while disconnected: a close must not hang on an outage.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 5_000,
        // Give up after 3 tries at start-up (the caller reports it); reconnect forever after that.
        reconnectStrategy: (retries, cause) =>
          !everReady && retries >= 2
            ? new Error(`gave up after ${retries + 1} attempts: ${messageOf(cause)}`)
            : Math.min(2 ** retries * 100, 2_000),
      },
    });
  } catch {
    // Node's URL error carries the whole input (password included) in `.input`: drop it.
    throw new Error(`store: invalid Redis URL ${redactUrl(url)}`);
  }
  client.on('error', (e: unknown) => {
    if (!everReady || down) return;
    down = true;
    opts.log?.warn({ err: redact(messageOf(e), secrets) }, 'store: Redis connection lost; reconnecting');
  });
  client.on('ready', () => {
    if (down) opts.log?.info('store: Redis connection restored');
    everReady = true;
    down = false;
  });
  try {
    await client.connect();
  } catch (e) {
    if (client.isOpen) client.destroy();
    throw new Error(`store: cannot connect to ${redactUrl(url)}: ${redact(messageOf(e), secrets)}`);
  }
  const keyv = new Keyv(new KeyvRedis(client, { throwOnErrors: true, throwOnConnectError: true }), {
    namespace: undefined,
    useKeyPrefix: false,
    throwOnErrors: true,
  });
  const setNx = async (key: string, value: string, ttlMs: number) =>
    (await client.set(key, value, { condition: 'NX', expiration: { type: 'PX', value: ttlMs } })) !== null;
  const parse = <T>(json: string) => JSON.parse(json) as T;
  return {
    keyv,
    parts: {
      locks: {
        acquire: async (key, holder, ttlMs): Promise<LockResult> => {
          // SET NX PX is the atomic step; the GET only reports who holds it (and retries if it just expired).
          for (let i = 0; i < 3; i++) {
            if (await setNx(K.lock(key), holder, ttlMs)) return { acquired: true };
            const cur = await client.get(K.lock(key));
            if (cur !== null) return { acquired: false, holder: cur };
          }
          return { acquired: false, holder: 'unknown' };
        },
        release: async (key, holder) => {
          await client.eval(releaseScript, { keys: [K.lock(key)], arguments: [holder] });
        },
      },
      once: (key, ttlMs) => setNx(K.once(key), '1', ttlMs),
      outbox: {
        put: async (rec) => void (await client.hSet(K.outbox, rec.id, JSON.stringify(rec))),
        remove: async (id) => void (await client.hDel(K.outbox, id)),
        list: async () => (await client.hVals(K.outbox)).map(parse<PendingSummary>),
      },
      audit: {
        append: async (rec) => {
          const key = K.audit(rec.incidentNumber);
          await client
            .multi()
            .lPush(key, JSON.stringify(rec))
            .lTrim(key, 0, auditCap - 1)
            .pExpire(key, auditTtlMs)
            .exec();
        },
        history: async (n, limit = 20) => (await client.lRange(K.audit(n), 0, limit - 1)).map(parse<AuditRecord>),
      },
      ping: async () => (await client.ping()) === 'PONG',
      close: async () => {
        if (client.isReady) await client.close();
        else if (client.isOpen) client.destroy();
      },
    },
  };
}

const ms = (ttlMs: number) => Math.max(1, Math.ceil(ttlMs));
const byCreatedAt = (a: PendingSummary, b: PendingSummary) => a.createdAt.localeCompare(b.createdAt);
const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

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

const redact = (text: string, secrets: string[]) => secrets.reduce((t, s) => t.split(s).join('***'), text);
const redactUrl = (url: string) => url.replace(/^([a-z]+:\/\/[^/@]*?:)[^/@]+@/i, '$1***@');

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
