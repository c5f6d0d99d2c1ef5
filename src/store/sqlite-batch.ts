/** The one call @keyv/sqlite exposes for SQL of our own (a promisified `all`). */
export interface SqliteQuery {
  query(sql: string, ...args: unknown[]): Promise<unknown>;
}

/** Rows per statement: at most two variables each, well under SQLite's oldest limit of 999. */
const batchRows = 200;

/**
 * Group commit. Writes that arrive while one statement is in flight go out together in the next: one
 * multi-row upsert (or one DELETE … IN) instead of one statement each. Every statement on sqlite's one
 * connection is a thread-pool round trip and a native Statement object on the event loop; a burst of
 * closes (each acknowledged only once stored, each writing its queue entry, intent, audit and cache
 * records) queued thousands of them, and acknowledgements waited behind them (npm run bench, 500
 * req/s: ack p99 3.5 s with one statement per write). Alone, a write goes out at once, as before.
 * A write's promise resolves once its statement is committed; callers that need one key's writes in
 * order chain them (local-store.ts serializer), as they did when statements could run out of order.
 */
export function sqliteBatches(db: SqliteQuery, table: string) {
  const upserts = batcher<[string, string]>((rows) =>
    db.query(
      `INSERT INTO ${table} (key, value) VALUES ${rows.map(() => '(?, ?)').join(', ')} ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
      ...rows.flat(),
    ),
  );
  const deletes = batcher<string>((keys) =>
    db.query(`DELETE FROM ${table} WHERE key IN (${keys.map(() => '?').join(', ')})`, ...keys),
  );
  // Reads too (keyv's get): one SELECT … IN for the keys asked while one is in flight.
  const reads = batcher<string, string | undefined>(async (keys) => {
    const unique = [...new Set(keys)];
    const rows = (await db.query(
      `SELECT key, value FROM ${table} WHERE key IN (${unique.map(() => '?').join(', ')})`,
      ...unique,
    )) as { key: string; value: string }[];
    const found = new Map(rows.map((r) => [r.key, r.value]));
    return keys.map((k) => found.get(k));
  });
  return {
    upsert: (key: string, value: string) => upserts([key, value]) as Promise<void>,
    remove: (key: string) => deletes(key) as Promise<void>,
    read: (key: string) => reads(key),
  };
}

function batcher<T, R = unknown>(run: (items: T[]) => Promise<R[] | unknown>) {
  const waiting: { item: T; done(e: unknown, result?: R): void }[] = [];
  let flushing = false;
  async function flush() {
    flushing = true;
    while (waiting.length > 0) {
      const batch = waiting.splice(0, batchRows);
      try {
        const results = await run(batch.map((b) => b.item));
        settleInSlices(batch, (b, i) => b.done(undefined, Array.isArray(results) ? (results[i] as R) : undefined));
      } catch (e) {
        settleInSlices(batch, (b) => b.done(e ?? new Error('sqlite statement failed')));
      }
    }
    flushing = false;
  }
  return (item: T) =>
    new Promise<R>((resolve, reject) => {
      waiting.push({ item, done: (e, result) => (e === undefined ? resolve(result as R) : reject(e)) });
      if (!flushing) void flush();
    });
}

/** Writers told at once, before the event loop may take other work: 2 and 16 measured worse than 8. */
const SETTLE_SLICE = 8;

/**
 * Tells a statement's writers it is done a slice at a time, with the event loop free between slices:
 * each writer's continuation (for a close: its acknowledgement, the start of its run) is work, and a
 * statement of a burst's writes resumed them all in one go, holding up the requests that arrived
 * meanwhile (npm run bench, 500 req/s: 30–80 ms spans in the burst's first second; ack p99 in six
 * runs 11–23 ms with slices of 8, in five without 13–35 ms). Order is kept; the next statement is not
 * held back.
 */
function settleInSlices<T>(items: T[], settle: (item: T, index: number) => void, from = 0): void {
  const to = Math.min(items.length, from + SETTLE_SLICE);
  for (let i = from; i < to; i++) settle(items[i] as T, i);
  if (to < items.length) setImmediate(() => settleInSlices(items, settle, to));
}
