import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Keyv } from 'keyv';
import type { AuditRecord, PendingSummary } from '../domain/types.ts';
import {
  auditCap,
  auditTtlMs,
  K,
  keyvOptions,
  messageOf,
  type Opened,
  type Parts,
  type StoreOptions,
} from './common.ts';
import type { LockResult } from './ports.ts';

/** memory://: everything in this process, gone when it exits. */
export function openMemory(): Opened {
  const keyv = new Keyv(keyvOptions);
  // Pending summaries in a Map of their own: no (de)serialising per put/remove. Copies in and out, as a
  // durable store would hand back.
  const pending = new Map<string, PendingSummary>();
  const outbox: Parts['outbox'] = {
    put: async (rec) => void pending.set(rec.id, structuredClone(rec)),
    remove: async (id) => void pending.delete(id),
    list: async () => Array.from(pending.values(), (r) => structuredClone(r)),
  };
  return { keyv, parts: localParts(keyv, outbox) };
}

/** sqlite://<path>: one process, survives restarts. @keyv/sqlite (and sqlite3) is loaded only here. */
export async function openSqlite(path: string, opts: StoreOptions): Promise<Opened> {
  if (path === '') throw new Error('store: sqlite:// needs a file path, e.g. sqlite://./data/close-incident.sqlite');
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const { default: KeyvSqlite } = await import('@keyv/sqlite');
  const db = new KeyvSqlite({ uri: `sqlite://${path}`, busyTimeout: 5_000 });
  const keyv = new Keyv(db, keyvOptions);
  const table = db.opts.table ?? 'keyv';
  try {
    await keyv.has(K.ping);
    // WAL with synchronous=NORMAL: a commit appends to the -wal file without an fsync (only checkpoints
    // sync), instead of FULL's journal + database fsyncs on every write. A write is in the OS once its
    // promise resolves, so it survives the process crashing or being SIGKILLed right after (the outbox
    // guarantee we need); only an OS crash or power loss could lose the last few commits.
    // journal_mode=WAL is stored in the file; synchronous is per connection and this is the only one.
    const [mode] = (await db.query('PRAGMA journal_mode = WAL')) as { journal_mode?: string }[];
    await db.query('PRAGMA synchronous = NORMAL');
    if (path !== ':memory:' && mode?.journal_mode !== 'wal') {
      opts.log?.warn({ journalMode: mode?.journal_mode }, 'store: sqlite would not switch to WAL; writes are slower');
    }
    await migrateOutbox(keyv);
  } catch (e) {
    await keyv.disconnect().catch(() => {});
    throw new Error(`store: cannot open sqlite file ${path}: ${messageOf(e)}`, { cause: e });
  }
  const chain = serializer();
  const decode = async (raw: string): Promise<PendingSummary | undefined> => {
    const data = keyv.deserialize ? await keyv.deserialize<PendingSummary>(raw) : JSON.parse(raw);
    return data?.value ?? undefined;
  };
  const outbox: Parts['outbox'] = {
    // Per id, so a remove never overtakes the put before it (sqlite3 may run queued statements in any order).
    put: (rec) => chain(K.outboxRecord(rec.id), async () => void (await keyv.set(K.outboxRecord(rec.id), rec))),
    remove: (id) =>
      chain(
        K.outboxRecord(id),
        async () => void (await db.query(`DELETE FROM ${table} WHERE key = ?`, K.outboxRecord(id))),
      ),
    list: async () => {
      // Every `ci:outbox:<id>` key, as a range on the primary key (';' follows ':').
      const from = K.outboxRecord('');
      const to = `${from.slice(0, -1)};`;
      const rows = (await db.query(`SELECT value FROM ${table} WHERE key >= ? AND key < ?`, from, to)) as {
        value: string;
      }[];
      const records = await Promise.all(rows.map((r) => decode(r.value)));
      return records.filter((r) => r !== undefined);
    },
  };
  return { keyv, parts: localParts(keyv, outbox) };
}

/** Files written before one key per record keep every pending summary in one value under `ci:outbox`. */
async function migrateOutbox(keyv: Keyv): Promise<void> {
  const legacy = await keyv.get<Record<string, PendingSummary>>(K.outbox);
  if (!legacy) return;
  // Copied before the old value goes, so a crash in between only repeats the copy on the next start.
  for (const rec of Object.values(legacy)) await keyv.set(K.outboxRecord(rec.id), rec);
  await keyv.delete(K.outbox);
}

/** Runs fn after every earlier call for the same key has settled (read-modify-writes, ordered writes). */
function serializer() {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const run = (tails.get(key) ?? Promise.resolve()).then(fn);
    const tail = run.catch(() => {});
    tails.set(key, tail);
    void tail.then(() => tails.get(key) === tail && tails.delete(key));
    return run;
  };
}

/**
 * memory:// and sqlite:// serve ONE process by design: locks and once() live in this process's memory
 * (a check-and-set on a Map has no await inside, so concurrent callers here are exactly-once) and
 * read-modify-writes are chained per key. Two processes on one sqlite file would not exclude each other.
 */
function localParts(keyv: Keyv, outbox: Parts['outbox']): Parts {
  const held = new Map<string, { value: string; until: number }>();
  const serially = serializer();
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
    outbox,
    audit: {
      // At most auditCap records per incident, and one incident sees few closes: rewriting its array is cheap.
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
