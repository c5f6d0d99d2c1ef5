import type { Log } from '../log.ts';
import type { SqliteQuery } from './sqlite-batch.ts';

/** Rows looked at per statement: each DELETE is short, so the writes of acknowledgements queued behind it barely wait. */
const WINDOW_ROWS = 500;
/** Once at start (after a short delay: start-up first), then this often. */
const FIRST_AFTER_MS = 60_000;
const EVERY_MS = 10 * 60_000;

/**
 * keyv deletes an expired record only when it is read again, and most of ours never are: a close's
 * "seen closed" memory (5 minutes), its request mark (1 hour), a list's once() marks. Redis expires keys
 * itself; on sqlite they stayed in the file for good (a bench file of 1,000 closes held 663 expired
 * "seen closed" rows), so the file grew with every close for the life of a deployment. This removes them
 * as keyv's own read would (expires < now), a window of 500 rows at a time.
 */
export function sweepExpired(
  db: SqliteQuery,
  table: string,
  opts: { log?: Pick<Log, 'warn' | 'info'>; firstAfterMs?: number; everyMs?: number } = {},
) {
  let stopped = false;
  let running: Promise<number> | undefined;
  // A record keyv would call expired (expires < now); json_valid first: a value keyv did not write (an
  // operator's edit) is left alone, not an error.
  const due = `(CASE WHEN json_valid(value) THEN json_extract(value, '$.expires') END) < ?`;
  async function sweep(now = Date.now()): Promise<number> {
    let removed = 0;
    // Windows of rows, not of rowid values: new keys take max(rowid)+1 and most are swept, so after months
    // a file of a few hundred rows spans millions of rowids (one per 500 was thousands of statements a
    // round), and past the top rowid sqlite picks them at random across 64 bits. The last rowid of a window
    // is carried as text: a JS number cannot hold every 64-bit rowid (and from += 500 stops moving).
    let after: string | undefined;
    while (!stopped) {
      const from = after === undefined ? '' : 'WHERE rowid > CAST(? AS INTEGER)';
      const [window] = (await db.query(
        `SELECT CAST(max(rowid) AS TEXT) AS last, count(*) AS n, coalesce(sum(${due}), 0) AS expired FROM (SELECT rowid, value FROM ${table} ${from} ORDER BY rowid LIMIT ${WINDOW_ROWS})`,
        now,
        ...(after === undefined ? [] : [after]),
      )) as { last: string | null; n: number; expired: number }[];
      if (!window?.last) break;
      // Only a window holding an expired record is written to (a DELETE takes sqlite's write lock even when
      // it removes nothing); it names the same rows by its bounds, and deletes only those still expired.
      if (window.expired > 0) {
        const rows = (await db.query(
          `DELETE FROM ${table} WHERE ${after === undefined ? '' : 'rowid > CAST(? AS INTEGER) AND '}rowid <= CAST(? AS INTEGER) AND ${due} RETURNING key`,
          ...(after === undefined ? [] : [after]),
          window.last,
          now,
        )) as unknown[];
        removed += rows.length;
      }
      if (window.n < WINDOW_ROWS) break;
      after = window.last;
    }
    return removed;
  }
  const run = () => {
    running ??= sweep()
      .then((n) => {
        if (n > 0) opts.log?.info({ removed: n }, 'store: expired records removed from the sqlite file');
        return n;
      })
      .catch((e: unknown) => {
        // The next round tries again; a record left expired is only space, never read as live.
        opts.log?.warn({ err: e }, 'store: expired records not removed; retrying at the next round');
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const first = setTimeout(run, opts.firstAfterMs ?? FIRST_AFTER_MS);
  const timer = setInterval(run, opts.everyMs ?? EVERY_MS);
  first.unref();
  timer.unref();
  return {
    /** One round now (tests, and what the timer runs); resolves with the number of records removed. */
    run,
    /** Stops the rounds and waits for one under way, so the file is closed after its last statement. */
    async stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
