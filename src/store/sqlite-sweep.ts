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
 * as keyv's own read would (expires < now), a window of rowids at a time.
 */
export function sweepExpired(
  db: SqliteQuery,
  table: string,
  opts: { log?: Pick<Log, 'warn' | 'info'>; firstAfterMs?: number; everyMs?: number } = {},
) {
  let stopped = false;
  let running: Promise<number> | undefined;
  async function sweep(now = Date.now()): Promise<number> {
    const [span] = (await db.query(`SELECT min(rowid) AS lo, max(rowid) AS hi FROM ${table}`)) as {
      lo: number | null;
      hi: number | null;
    }[];
    let removed = 0;
    if (span?.lo == null || span.hi == null) return 0;
    for (let from = span.lo; from <= span.hi && !stopped; from += WINDOW_ROWS) {
      // json_valid first: a value keyv did not write (an operator's edit) is left alone, not an error.
      const rows = (await db.query(
        `DELETE FROM ${table} WHERE rowid >= ? AND rowid < ? AND (CASE WHEN json_valid(value) THEN json_extract(value, '$.expires') END) < ? RETURNING key`,
        from,
        from + WINDOW_ROWS,
        now,
      )) as unknown[];
      removed += rows.length;
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
