import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Keyv, type KeyvStoreAdapter } from 'keyv';
import type { Database, RunResult, Statement } from 'sqlite3';
import type { PendingSummary } from '../domain/types.ts';
import { K, keyvOptions, messageOf, type Opened, type Parts, type StoreOptions } from './common.ts';
import { localParts, serializer } from './local-store.ts';

/** The table and columns @keyv/sqlite uses, so files it wrote open unchanged. */
const table = 'keyv';
const sql = {
  create: `CREATE TABLE IF NOT EXISTS ${table}(key VARCHAR(255) PRIMARY KEY, value TEXT )`,
  get: `SELECT value FROM ${table} WHERE key = ?`,
  has: `SELECT 1 FROM ${table} WHERE key = ?`,
  set: `INSERT INTO ${table} (key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value`,
  delete: `DELETE FROM ${table} WHERE key = ?`,
  clear: `DELETE FROM ${table} WHERE key LIKE ?`,
  /** A key range on the primary key, e.g. every `ci:outbox:<id>` (';' follows ':'). */
  range: `SELECT value FROM ${table} WHERE key >= ? AND key < ?`,
};

/**
 * One sqlite3 connection whose statements are prepared once and reused. A fresh statement per call (what
 * @keyv/sqlite's query does) is finalized on the main thread, which waits there for the connection's mutex
 * while a worker thread writes: that wait is what blocked the event loop.
 */
class SqliteDb {
  private readonly statements = new Map<string, Promise<Statement>>();
  constructor(private readonly db: Database) {}

  static async open(path: string): Promise<SqliteDb> {
    const { default: sqlite3 } = await import('sqlite3');
    const db = await new Promise<Database>((resolve, reject) => {
      const opened = new sqlite3.Database(path, (e) => (e ? reject(e) : resolve(opened)));
    });
    db.configure('busyTimeout', 5_000);
    return new SqliteDb(db);
  }

  /** Prepared on first use; awaited, because sqlite3 drops calls queued on a statement that fails to prepare. */
  private prepared(text: string): Promise<Statement> {
    const cached = this.statements.get(text);
    if (cached) return cached;
    const stmt = new Promise<Statement>((resolve, reject) => {
      const s = this.db.prepare(text, (e: Error | null) => (e ? reject(e) : resolve(s)));
    });
    this.statements.set(text, stmt);
    stmt.catch(() => this.statements.delete(text));
    return stmt;
  }

  async all<T>(text: string, ...params: unknown[]): Promise<T[]> {
    const stmt = await this.prepared(text);
    return new Promise((resolve, reject) =>
      stmt.all(params, (e: Error | null, rows: T[]) => (e ? reject(e) : resolve(rows))),
    );
  }

  /** Resolves with the number of rows changed. */
  async run(text: string, ...params: unknown[]): Promise<number> {
    const stmt = await this.prepared(text);
    return new Promise((resolve, reject) =>
      stmt.run(params, function (this: RunResult, e: Error | null) {
        if (e) reject(e);
        else resolve(this.changes);
      }),
    );
  }

  /** A one-off statement (PRAGMAs, schema), not kept. */
  once<T>(text: string): Promise<T[]> {
    return new Promise((resolve, reject) =>
      this.db.all(text, (e: Error | null, rows: T[]) => (e ? reject(e) : resolve(rows))),
    );
  }

  async close(): Promise<void> {
    const stmts = await Promise.allSettled(this.statements.values());
    this.statements.clear();
    const prepared = stmts.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    await Promise.all(prepared.map((s) => new Promise((resolve) => s.finalize(resolve))));
    await new Promise<void>((resolve, reject) => this.db.close((e) => (e ? reject(e) : resolve())));
  }
}

/** A keyv store adapter over SqliteDb, keeping keyv's serialised values in @keyv/sqlite's table. */
class SqliteAdapter extends EventEmitter implements KeyvStoreAdapter {
  opts = { dialect: 'sqlite', table };
  namespace?: string;
  constructor(readonly db: SqliteDb) {
    super();
  }
  async get<Value>(key: string) {
    return (await this.db.all<{ value: Value }>(sql.get, key))[0]?.value;
  }
  async set(key: string, value: unknown) {
    await this.db.run(sql.set, key, value);
  }
  async delete(key: string) {
    return (await this.db.run(sql.delete, key)) > 0;
  }
  async clear() {
    await this.db.run(sql.clear, this.namespace ? `${this.namespace}:%` : '%');
  }
  async has(key: string) {
    return (await this.db.all(sql.has, key)).length > 0;
  }
  disconnect() {
    return this.db.close();
  }
}

/** sqlite://<path>: one process, survives restarts. sqlite3 is loaded only here. */
export async function openSqlite(path: string, opts: StoreOptions): Promise<Opened> {
  if (path === '') throw new Error('store: sqlite:// needs a file path, e.g. sqlite://./data/close-incident.sqlite');
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const failed = (e: unknown) => new Error(`store: cannot open sqlite file ${path}: ${messageOf(e)}`, { cause: e });
  const db = await SqliteDb.open(path).catch((e) => Promise.reject(failed(e)));
  const keyv = new Keyv(new SqliteAdapter(db), keyvOptions);
  try {
    // WAL with synchronous=NORMAL: a commit appends to the -wal file without an fsync (only checkpoints
    // sync), instead of a rollback journal with fsyncs of journal and database on every write. A write is
    // in the OS once its promise resolves, so it survives this process crashing or being SIGKILLed right
    // after (the outbox guarantee we need); only an OS crash or power loss could lose the last commits.
    // journal_mode=WAL is kept in the file; synchronous is per connection, and this is the only one.
    const [mode] = await db.once<{ journal_mode: string }>('PRAGMA journal_mode = WAL');
    await db.once('PRAGMA synchronous = NORMAL');
    await db.once(sql.create);
    if (path !== ':memory:' && mode?.journal_mode !== 'wal') {
      opts.log?.warn({ journalMode: mode?.journal_mode }, 'store: sqlite would not switch to WAL; writes are slower');
    }
    await migrateOutbox(keyv);
  } catch (e) {
    await db.close().catch(() => {});
    throw failed(e);
  }
  const chain = serializer();
  const decode = async (raw: string): Promise<PendingSummary | undefined> => {
    const data = keyv.deserialize ? await keyv.deserialize<PendingSummary>(raw) : JSON.parse(raw);
    return data?.value ?? undefined;
  };
  const outbox: Parts['outbox'] = {
    // Chained per id, so a remove never overtakes the put before it (sqlite3 may run statements out of order).
    put: (rec) => chain(K.outboxRecord(rec.id), async () => void (await keyv.set(K.outboxRecord(rec.id), rec))),
    remove: (id) => chain(K.outboxRecord(id), async () => void (await db.run(sql.delete, K.outboxRecord(id)))),
    list: async () => {
      const from = K.outboxRecord('');
      const rows = await db.all<{ value: string }>(sql.range, from, `${from.slice(0, -1)};`);
      return (await Promise.all(rows.map((r) => decode(r.value)))).filter((r) => r !== undefined);
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
