import KeyvSqlite from '@keyv/sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteBatches } from '../../src/store/sqlite-batch.ts';

/** Group commit on a real sqlite database (in memory): fewer statements, same rows, errors to every writer. */
describe('sqlite group commit', () => {
  const open: KeyvSqlite[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((d) => d.disconnect()));
  });

  async function setup() {
    const db = new KeyvSqlite({ uri: 'sqlite://:memory:' });
    open.push(db);
    await db.query('SELECT 1');
    const statements: string[] = [];
    const counted = {
      query: (sql: string, ...args: unknown[]) => {
        statements.push(sql.split(' ')[0] ?? '');
        return db.query(sql, ...args);
      },
    };
    const table = db.opts.table ?? 'keyv';
    const rows = async () =>
      (await db.query(`SELECT key, value FROM ${table} ORDER BY key`)) as { key: string; value: string }[];
    return { db, table, statements, batches: sqliteBatches(counted, table), rows };
  }

  it('writes, reads and removes 450 rows asked at once in a handful of statements, each promise answered', async () => {
    const { statements, batches, rows } = await setup();
    const keys = Array.from({ length: 450 }, (_, i) => `k:${String(i).padStart(3, '0')}`);
    await Promise.all(keys.map((k) => batches.upsert(k, `v-${k}`)));
    expect((await rows()).map((r) => r.key)).toEqual(keys);
    // The first goes alone; the rest wait for it and go 200 at a time.
    expect(statements).toEqual(['INSERT', 'INSERT', 'INSERT', 'INSERT']);
    statements.length = 0;
    // Reads batch the same way; a key asked twice and a key never written are answered too.
    const asked = [...keys, 'k:000', 'k:missing'];
    const values = await Promise.all(asked.map((k) => batches.read(k)));
    expect(values).toEqual([...keys.map((k) => `v-${k}`), 'v-k:000', undefined]);
    expect(statements).toEqual(['SELECT', 'SELECT', 'SELECT', 'SELECT']);
    await Promise.all(keys.slice(0, 300).map((k) => batches.remove(k)));
    expect((await rows()).map((r) => r.key)).toEqual(keys.slice(300));
    expect(statements.filter((s) => s === 'DELETE')).toHaveLength(3);
  });

  it('tells the writers of one statement a slice at a time, so other work runs between slices', async () => {
    const { batches, statements } = await setup();
    const first = batches.upsert('first', '1');
    // These 40 wait for the first statement, then go out as one.
    const told: number[] = [];
    let toldWhenOtherWorkRan = -1;
    const writes = Array.from({ length: 40 }, (_, i) =>
      batches.upsert(`k${i}`, 'v').then(() => {
        told.push(i);
        if (i === 0) setImmediate(() => (toldWhenOtherWorkRan = told.length));
      }),
    );
    await first;
    await Promise.all(writes);
    await new Promise((r) => setImmediate(r));
    expect(statements).toEqual(['INSERT', 'INSERT']);
    expect(told).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // Work queued by the first writer told ran after two slices of 8, not after all 40.
    expect(toldWhenOtherWorkRan).toBe(16);
  });

  it('a later write to the same key wins, within one statement or across two', async () => {
    const { batches, rows } = await setup();
    await Promise.all([batches.upsert('a', '1'), batches.upsert('b', '1'), batches.upsert('b', '2')]);
    expect(await rows()).toEqual([
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ]);
  });

  it('a statement that fails rejects every write in it, and the next batch still runs', async () => {
    const { db, table, batches } = await setup();
    await db.query(
      `CREATE TRIGGER no_bad BEFORE INSERT ON ${table} WHEN NEW.key = 'bad' BEGIN SELECT RAISE(ABORT, 'refused'); END`,
    );
    const results = await Promise.allSettled([
      batches.upsert('first', '1'),
      batches.upsert('bad', '1'),
      batches.upsert('good', '1'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    await expect(batches.upsert('after', '1')).resolves.toBeUndefined();
  });
});
