import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createClient } from '@keyv/redis';
import KeyvSqlite from '@keyv/sqlite';
import { Keyv } from 'keyv';
import sqlite3 from 'sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Store } from '../../src/domain/ports.ts';
import type { AuditRecord, PendingSummary } from '../../src/domain/types.ts';
import { createStore } from '../../src/store/keyv-store.ts';
import { sweepExpired } from '../../src/store/sqlite-sweep.ts';
import { type RedisServer, redisAvailable, startRedis } from '../support/redis.ts';

const storeModule = fileURLToPath(new URL('../../src/store/keyv-store.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs a script (lines of TypeScript, `$store` standing for the store module's URL) in a child node. */
async function runChild(name: string, lines: string[], args: string[]) {
  const script = join(sqliteDir, name);
  writeFileSync(script, lines.join('\n').replaceAll('$store', JSON.stringify(pathToFileURL(storeModule).href)));
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    stdout += c;
  });
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (c, s) => resolve([c, s])),
  );
  return { code, signal, stdout, stderr };
}

/** One statement on a sqlite file, over a connection of its own. */
async function sql(file: string, statement: string): Promise<unknown[]> {
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const opened = new sqlite3.Database(file, (e) => (e ? reject(e) : resolve(opened)));
  });
  try {
    return await new Promise<unknown[]>((resolve, reject) =>
      db.all(statement, (e, rows) => (e ? reject(e) : resolve(rows))),
    );
  } finally {
    await new Promise((resolve) => db.close(resolve));
  }
}

/** A fresh sqlite store file holding `count` expired "seen closed" records, closed again. */
async function fileWithExpired(count: number): Promise<{ url: string; file: string }> {
  const url = await sqlite.fresh();
  const file = url.slice('sqlite://'.length);
  await (await createStore(url)).close();
  const expired = `'{"value":"r","expires":${Date.now() - 1_000}}'`;
  await sql(
    file,
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count}) INSERT INTO keyv (key, value) SELECT 'ci:cache:seen-closed:r' || i, ${expired} FROM n`,
  );
  return { url, file };
}

const pending = (id: string, createdAt = '2024-05-26T10:00:00.000Z'): PendingSummary => ({
  id,
  channelId: 'C1234',
  slackUserId: 'U1234',
  d3Username: 'jdoe',
  closure: { incidentNumber: '20200526-23', site: 'Security Operations', note: 'False positive' },
  requestId: `req-${id}`,
  createdAt,
});

const auditRecord = (i: number, incidentNumber = '20200526-23'): AuditRecord => ({
  at: new Date(Date.UTC(2024, 4, 26, 10, 0, i)).toISOString(),
  requestId: `req-${i}`,
  incidentNumber,
  slackUserId: 'U1234',
  noteLength: 14,
  noteHmac: 'abc',
  outcome: 'closed',
});

interface Backend {
  name: string;
  skip: boolean;
  /** Data outlives the store object (a file, or a server). */
  durable: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** A URL with nothing in it yet. */
  fresh(): Promise<string>;
}

const memory: Backend = {
  name: 'memory://',
  skip: false,
  durable: false,
  start: async () => {},
  stop: async () => {},
  fresh: async () => 'memory://',
};

let sqliteDir = '';
let sqliteFiles = 0;
const sqlite: Backend = {
  name: 'sqlite://',
  skip: false,
  durable: true,
  start: async () => {
    sqliteDir = mkdtempSync(join(tmpdir(), 'ci-store-'));
  },
  stop: async () => rmSync(sqliteDir, { recursive: true, force: true }),
  fresh: async () => `sqlite://${join(sqliteDir, String(++sqliteFiles), 'close-incident.sqlite')}`,
};

let server: RedisServer | undefined;
let admin: ReturnType<typeof createClient> | undefined;
const redis: Backend = {
  name: 'redis://',
  skip: !redisAvailable(),
  durable: true,
  start: async () => {
    server = await startRedis();
    if (!server) throw new Error('redis-server is required here');
    admin = createClient({ url: server.url });
    await admin.connect();
  },
  stop: async () => {
    await admin?.close();
    await server?.stop();
  },
  fresh: async () => {
    await admin!.flushDb();
    return server!.url;
  },
};

for (const backend of [memory, sqlite, redis]) {
  describe.skipIf(backend.skip)(`store contract on ${backend.name}`, () => {
    let url = '';
    const opened: Store[] = [];
    const open = async () => {
      const store = await createStore(url);
      opened.push(store);
      return store;
    };

    beforeAll(() => backend.start());
    afterAll(() => backend.stop());
    beforeEach(async () => {
      url = await backend.fresh();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    it('gives a lock to exactly one of 20 concurrent callers and shows the others its holder', async () => {
      const store = await open();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.locks.acquire('incident:20200526-23', `holder-${i}`, 5_000)),
      );
      const winners = results.flatMap((r, i) => (r.acquired ? [`holder-${i}`] : []));
      expect(winners).toHaveLength(1);
      expect(results.filter((r) => !r.acquired)).toEqual(Array(19).fill({ acquired: false, holder: winners[0] }));
    });

    it('ignores a release by someone who does not hold the lock', async () => {
      const store = await open();
      expect(await store.locks.acquire('incident:1', 'alice', 5_000)).toEqual({ acquired: true });
      await store.locks.release('incident:1', 'bob');
      expect(await store.locks.acquire('incident:1', 'carol', 5_000)).toEqual({ acquired: false, holder: 'alice' });
      await store.locks.release('incident:1', 'alice');
      expect(await store.locks.acquire('incident:1', 'carol', 5_000)).toEqual({ acquired: true });
    });

    it('frees a lock once its TTL has passed', async () => {
      const store = await open();
      expect(await store.locks.acquire('incident:2', 'alice', 300)).toEqual({ acquired: true });
      expect(await store.locks.acquire('incident:2', 'bob', 300)).toEqual({ acquired: false, holder: 'alice' });
      await sleep(600);
      expect(await store.locks.acquire('incident:2', 'bob', 300)).toEqual({ acquired: true });
    });

    it('extends a lock only for its holder, and never one that lapsed or passed to someone else', async () => {
      const store = await open();
      expect(await store.locks.acquire('incident:3', 'alice', 400)).toEqual({ acquired: true });
      expect(await store.locks.extend('incident:3', 'bob', 5_000)).toBe(false);
      expect(await store.locks.extend('incident:3', 'alice', 5_000)).toBe(true);
      await sleep(600);
      expect(await store.locks.acquire('incident:3', 'bob', 300)).toEqual({ acquired: false, holder: 'alice' });
      expect(await store.locks.acquire('incident:4', 'alice', 200)).toEqual({ acquired: true });
      await sleep(400);
      expect(await store.locks.acquire('incident:4', 'bob', 5_000)).toEqual({ acquired: true });
      expect(await store.locks.extend('incident:4', 'alice', 5_000)).toBe(false);
      await store.locks.release('incident:4', 'bob');
      expect(await store.locks.extend('incident:4', 'bob', 5_000)).toBe(false);
    });

    it('answers true to exactly one of 20 concurrent once() calls, and again after the TTL', async () => {
      const store = await open();
      const firsts = await Promise.all(Array.from({ length: 20 }, () => store.once('request:T1', 300)));
      expect(firsts.filter(Boolean)).toHaveLength(1);
      expect(await store.once('request:T2', 300)).toBe(true);
      await sleep(600);
      expect(await store.once('request:T1', 300)).toBe(true);
    });

    it('lists pending summaries oldest first, overwrites by id and removes them', async () => {
      const store = await open();
      await Promise.all([
        store.outbox.put(pending('b', '2024-05-26T10:00:02.000Z')),
        store.outbox.put(pending('a', '2024-05-26T10:00:01.000Z')),
        store.outbox.put(pending('c', '2024-05-26T10:00:03.000Z')),
      ]);
      await store.outbox.put({ ...pending('b', '2024-05-26T10:00:02.000Z'), channelId: 'C9999' });
      expect((await store.outbox.list()).map((r) => [r.id, r.channelId])).toEqual([
        ['a', 'C1234'],
        ['b', 'C9999'],
        ['c', 'C1234'],
      ]);
      await store.outbox.remove('b');
      await store.outbox.remove('never-there');
      expect(await store.outbox.list()).toEqual([
        pending('a', '2024-05-26T10:00:01.000Z'),
        pending('c', '2024-05-26T10:00:03.000Z'),
      ]);
    });

    it('returns audit history newest first and keeps at most 200 records per incident', async () => {
      const store = await open();
      await Promise.all(Array.from({ length: 210 }, (_, i) => store.audit.append(auditRecord(i))));
      await store.audit.append(auditRecord(0, '20200526-24'));
      const all = await store.audit.history('20200526-23', 1_000);
      expect(all).toHaveLength(200);
      expect(new Set(all.map((r) => r.requestId)).size).toBe(200);
      expect((await store.audit.history('20200526-24')).map((r) => r.incidentNumber)).toEqual(['20200526-24']);
      expect(await store.audit.history('20200526-99')).toEqual([]);
    });

    it('keeps appends in order and limits history to 20 by default', async () => {
      const store = await open();
      for (let i = 0; i < 25; i++) await store.audit.append(auditRecord(i));
      const recent = await store.audit.history('20200526-23');
      expect(recent.map((r) => r.requestId)).toEqual(Array.from({ length: 20 }, (_, i) => `req-${24 - i}`));
      expect((await store.audit.history('20200526-23', 2)).map((r) => r.requestId)).toEqual(['req-24', 'req-23']);
      expect(recent[0]).toEqual(auditRecord(24));
    });

    it('keeps each Slack user’s latest close attempts across incidents, newest first, for App Home', async () => {
      const store = await open();
      for (let i = 0; i < 25; i++) await store.audit.append(auditRecord(i, `20200526-${i}`));
      await store.audit.append({ ...auditRecord(99, '20200526-99'), slackUserId: 'U5678' });
      const mine = await store.audit.byUser('U1234');
      expect(mine.map((r) => r.incidentNumber)).toEqual(Array.from({ length: 10 }, (_, i) => `20200526-${24 - i}`));
      expect((await store.audit.byUser('U1234', 30)).length).toBe(20);
      expect((await store.audit.byUser('U5678')).map((r) => r.incidentNumber)).toEqual(['20200526-99']);
      expect(await store.audit.byUser('U0NOBODY')).toEqual([]);
    });

    it('forgets a cached value after its TTL and keeps namespaces apart', async () => {
      const store = await open();
      await store.cache.set('group', 'U1234', ['U1', 'U2'], 5_000);
      await store.cache.set('email', 'U1234', 'jdoe@example.com', 300);
      expect(await store.cache.get<string>('email', 'U1234')).toBe('jdoe@example.com');
      expect(await store.cache.get<string[]>('group', 'U1234')).toEqual(['U1', 'U2']);
      await sleep(600);
      expect(await store.cache.get('email', 'U1234')).toBeUndefined();
      expect(await store.cache.get<string[]>('group', 'U1234')).toEqual(['U1', 'U2']);
    });

    it('sets, reads and deletes a mapping override', async () => {
      const store = await open();
      const override = {
        username: 'jdoe',
        site: 'Security Operations',
        setBy: 'UADMIN',
        setAt: '2024-05-26T10:00:00Z',
      };
      expect(await store.overrides.get('U1234')).toBeUndefined();
      await store.overrides.set('U1234', override);
      expect(await store.overrides.get('U1234')).toEqual(override);
      expect(await store.overrides.delete('U1234')).toBe(true);
      expect(await store.overrides.delete('U1234')).toBe(false);
      expect(await store.overrides.get('U1234')).toBeUndefined();
    });

    it('answers ping while open and can be closed twice', async () => {
      const store = await createStore(url);
      expect(await store.ping()).toBe(true);
      await store.close();
      await expect(store.close()).resolves.toBeUndefined();
    });

    it.skipIf(!backend.durable)(
      'remembers a once() mark in a store reopened on the same URL, until its TTL',
      async () => {
        const first = await open();
        expect(await first.once('request:command:T1:20200526-23', 600)).toBe(true);
        await first.close();
        opened.splice(opened.indexOf(first), 1);
        const second = await open();
        expect(await second.once('request:command:T1:20200526-23', 600)).toBe(false);
        expect(await second.once('request:command:T1:20200526-24', 600)).toBe(true);
        await sleep(900);
        expect(await second.once('request:command:T1:20200526-23', 600)).toBe(true);
      },
    );

    it.skipIf(!backend.durable)(
      'shows pending summaries and overrides to a store reopened on the same URL',
      async () => {
        const first = await open();
        await first.outbox.put(pending('p1'));
        await first.overrides.set('U1234', { username: 'jdoe', setBy: 'UADMIN', setAt: '2024-05-26T10:00:00Z' });
        await first.audit.append(auditRecord(1));
        await first.close();
        opened.splice(opened.indexOf(first), 1);
        const second = await open();
        expect(await second.outbox.list()).toEqual([pending('p1')]);
        expect(await second.overrides.get('U1234')).toMatchObject({ username: 'jdoe' });
        expect(await second.audit.history('20200526-23')).toEqual([auditRecord(1)]);
      },
    );
  });
}

describe('store on sqlite://', () => {
  beforeAll(() => sqlite.start());
  afterAll(() => sqlite.stop());

  it('creates the parent directory of the file', async () => {
    const file = join(sqliteDir, 'nested', 'deeper', 'close-incident.sqlite');
    const store = await createStore(`sqlite://${file}`);
    await store.outbox.put(pending('p1'));
    await store.close();
    expect(existsSync(file)).toBe(true);
  });

  it('keeps a pending summary when the process is killed right after put resolves', async () => {
    const url = await sqlite.fresh();
    const run = await runChild(
      'put-then-die.mts',
      [
        'const { createStore } = await import($store);',
        'const store = await createStore(process.argv[2]);',
        'await store.outbox.put(JSON.parse(process.argv[3]));',
        "process.kill(process.pid, 'SIGKILL');",
      ],
      [url, JSON.stringify(pending('killed'))],
    );
    expect({ code: run.code, signal: run.signal, stderr: run.stderr }).toEqual({
      code: null,
      signal: 'SIGKILL',
      stderr: '',
    });
    const store = await createStore(url);
    expect(await store.outbox.list()).toEqual([pending('killed')]);
    await store.close();
  });

  it('runs the file in WAL mode and keeps one row per pending summary', async () => {
    const url = await sqlite.fresh();
    const file = url.slice('sqlite://'.length);
    const store = await createStore(url);
    await Promise.all([
      store.outbox.put(pending('p1')),
      store.outbox.put(pending('p2')),
      store.outbox.put(pending('p3')),
    ]);
    await store.outbox.remove('p1');
    // Read over a second connection while the store is open: WAL lets it in beside the writer.
    expect(await sql(file, 'PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    expect(existsSync(`${file}-wal`)).toBe(true);
    expect(await sql(file, "SELECT key FROM keyv WHERE key LIKE 'ci:outbox%' ORDER BY key")).toEqual([
      { key: 'ci:outbox:p2' },
      { key: 'ci:outbox:p3' },
    ]);
    // list() reads the key range ci:outbox:…, not the keys sorting just around it.
    const stray = `'{"value":${JSON.stringify(pending('stray'))},"expires":null}'`;
    await sql(
      file,
      `INSERT INTO keyv VALUES ('ci:outbox', ${stray}), ('ci:outbox;', ${stray}), ('ci:outboxx', ${stray})`,
    );
    expect(await store.outbox.list()).toEqual([pending('p2'), pending('p3')]);
    await store.close();
  });

  it('removes expired records from the file (keyv only would on a read), keeping live and untimed ones', async () => {
    const url = await sqlite.fresh();
    const file = url.slice('sqlite://'.length);
    const store = await createStore(url, { sweep: { firstAfterMs: 60_000, everyMs: 150 } });
    // More than one window of rowids (500), so the sweep's windows are walked, not only the first.
    await Promise.all(Array.from({ length: 1_200 }, (_, i) => store.cache.set('seen-closed', `gone-${i}`, 'r', 1)));
    await store.cache.set('request-mark', 'live', 'r2', 60 * 60_000);
    await store.outbox.put(pending('untimed'));
    // A value keyv did not write (an operator's edit) is neither swept nor an error.
    await sql(file, "INSERT INTO keyv VALUES ('ci:cache:odd', 'not json')");
    const count = async () => ((await sql(file, 'SELECT count(*) AS n FROM keyv')) as { n: number }[])[0]?.n;
    expect(await count()).toBe(1_203);
    const deadline = Date.now() + 10_000;
    while ((await count()) !== 3 && Date.now() < deadline) await sleep(50);
    expect(await sql(file, 'SELECT key FROM keyv ORDER BY key')).toEqual([
      { key: 'ci:cache:odd' },
      { key: 'ci:cache:request-mark:live' },
      { key: 'ci:outbox:untimed' },
    ]);
    expect(await store.cache.get('request-mark', 'live')).toBe('r2');
    expect(await store.outbox.list()).toEqual([pending('untimed')]);
    await store.close();
  });

  it('sweeps a file whose rowids are far apart in statements bounded by its rows, not by the rowid span', async () => {
    const url = await sqlite.fresh();
    const file = url.slice('sqlite://'.length);
    const store = await createStore(url, { sweep: { firstAfterMs: 3_600_000 } });
    // Set on install day, never expires: rowid 1 for good.
    await store.overrides.set('U1234', { username: 'jdoe', setBy: 'UADMIN', setAt: '2024-05-26T10:00:00Z' });
    await store.close();
    // Months of closes later: every new key took max(rowid)+1 and nearly all of them are gone (expired and
    // swept), so the few rows left are millions of rowids apart. Past the top rowid (2^63 - 1, beyond a
    // JS number's exact integers) sqlite picks new rowids at random anywhere up to it.
    const expired = `'{"value":"r","expires":${Date.now() - 1_000}}'`;
    const live = `'{"value":"r2","expires":${Date.now() + 3_600_000}}'`;
    await sql(
      file,
      `INSERT INTO keyv (rowid, key, value) VALUES (2000000, 'ci:cache:seen-closed:a', ${expired}), (4000000, 'ci:cache:request-mark:live', ${live}), (6000000, 'ci:cache:seen-closed:b', ${expired}), (9223372036854775807, 'ci:once:top', ${expired}), (9223372036854775806, 'ci:once:live', ${live})`,
    );
    // And more than a window of them up there, so a window starts after a rowid no JS number holds exactly.
    await sql(
      file,
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600) INSERT INTO keyv (rowid, key, value) SELECT 9223372036854770000 + i, 'ci:cache:seen-closed:r' || i, ${expired} FROM n`,
    );
    const db = new KeyvSqlite({ uri: url });
    let statements = 0;
    const counted = {
      query: (statement: string, ...args: unknown[]) => {
        statements++;
        return db.query(statement, ...args);
      },
    };
    const sweeper = sweepExpired(counted, 'keyv', { firstAfterMs: 3_600_000, everyMs: 3_600_000 });
    expect(await sweeper.run()).toBe(603);
    await sweeper.stop();
    // 606 rows: two windows, each read then written. (Windows of 500 rowid values: 12,000 statements for the rows
    // up to 6,000,000, and with the top rowid ~10^16 statements, a sweep that never ended.)
    expect(statements).toBe(4);
    expect(await sql(file, 'SELECT key FROM keyv ORDER BY key')).toEqual([
      { key: 'ci:cache:request-mark:live' },
      { key: 'ci:map:U1234' },
      { key: 'ci:once:live' },
    ]);
    await db.disconnect();
  });

  it('stops a sweep under way before the file is closed: the statement in flight finishes, none follows', async () => {
    const { url } = await fileWithExpired(2000);
    const db = new KeyvSqlite({ uri: url });
    const issued: string[] = [];
    let closed = false;
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const gated = {
      query: async (statement: string, ...args: unknown[]) => {
        issued.push(closed ? `after close: ${statement}` : statement.split(' ')[0]!);
        const result = await db.query(statement, ...args);
        // The second statement of the sweep is held until stop() was called.
        if (issued.length === 2) await held;
        return result;
      },
    };
    const log = { info: vi.fn(), warn: vi.fn() };
    const sweeper = sweepExpired(gated, 'keyv', { log, firstAfterMs: 3_600_000, everyMs: 3_600_000 });
    const round = sweeper.run();
    while (issued.length < 2) await sleep(5);
    const order: string[] = [];
    const stopping = sweeper.stop().then(() => order.push('stopped'));
    // Room for a stop() that did not wait to resolve before the held statement is let go.
    await new Promise((r) => setImmediate(r));
    order.push('statement done');
    release();
    await stopping;
    expect(order).toEqual(['statement done', 'stopped']);
    await db.disconnect();
    closed = true;
    expect(await round).toBe(500);
    expect(issued).toEqual(['SELECT', 'DELETE']);
    // A round asked for after the stop issues nothing on the closed file.
    expect(await sweeper.run()).toBe(0);
    expect(issued).toEqual(['SELECT', 'DELETE']);
    expect(log.warn).not.toHaveBeenCalled();
  });

  it("keeps a record renewed between a window's read and its delete (the delete checks expiry again)", async () => {
    const url = await sqlite.fresh();
    const file = url.slice('sqlite://'.length);
    const store = await createStore(url, { sweep: { firstAfterMs: 3_600_000 } });
    await store.cache.set('request-mark', 'renewed', 'old', 1);
    await store.cache.set('seen-closed', 'gone', 'r', 1);
    await sleep(5); // both past their 1 ms
    const db = new KeyvSqlite({ uri: url });
    let statements = 0;
    const racing = {
      query: async (statement: string, ...args: unknown[]) => {
        const result = await db.query(statement, ...args);
        // The window was read with both expired; the key is written again, live, before the DELETE.
        if (++statements === 1) await store.cache.set('request-mark', 'renewed', 'new', 60 * 60_000);
        return result;
      },
    };
    const sweeper = sweepExpired(racing, 'keyv', { firstAfterMs: 3_600_000, everyMs: 3_600_000 });
    expect(await sweeper.run()).toBe(1);
    await sweeper.stop();
    expect(await sql(file, 'SELECT key FROM keyv ORDER BY key')).toEqual([{ key: 'ci:cache:request-mark:renewed' }]);
    expect(await store.cache.get('request-mark', 'renewed')).toBe('new');
    await db.disconnect();
    await store.close();
  });

  it('gives up a round when the file fails mid-sweep, logging it, and the next round removes the rest', async () => {
    const { url, file } = await fileWithExpired(1200);
    let db = new KeyvSqlite({ uri: url });
    let statements = 0;
    const failing = {
      query: async (statement: string, ...args: unknown[]) => {
        // The file goes away under the sweep after its first window (the connection closed under it).
        if (++statements === 3) await db.disconnect();
        return db.query(statement, ...args);
      },
    };
    const log = { info: vi.fn(), warn: vi.fn() };
    const sweeper = sweepExpired(failing, 'keyv', { log, firstAfterMs: 3_600_000, everyMs: 3_600_000 });
    expect(await sweeper.run()).toBe(0);
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(((await sql(file, 'SELECT count(*) AS n FROM keyv')) as { n: number }[])[0]?.n).toBe(700);
    db = new KeyvSqlite({ uri: url });
    expect(await sweeper.run()).toBe(700);
    await sweeper.stop();
    await db.disconnect();
    expect(await sql(file, 'SELECT count(*) AS n FROM keyv')).toEqual([{ n: 0 }]);
  });

  it('rejects with the path when the file cannot be opened', async () => {
    await expect(createStore(`sqlite://${sqliteDir}`)).rejects.toThrow(`cannot open sqlite file ${sqliteDir}`);
  });

  it('moves pending summaries an older version kept in one value to a key each, keeping other keys', async () => {
    const url = await sqlite.fresh();
    const file = url.slice('sqlite://'.length);
    mkdirSync(dirname(file), { recursive: true });
    const old = new Keyv(new KeyvSqlite({ uri: url }), { namespace: undefined, useKeyPrefix: false });
    const [a, b] = [pending('a', '2024-05-26T10:00:01.000Z'), pending('b', '2024-05-26T10:00:02.000Z')];
    const override = { username: 'jdoe', setBy: 'UADMIN', setAt: '2024-05-26T10:00:00Z' };
    await old.set('ci:outbox', { b, a });
    await old.set('ci:map:U1234', override);
    await old.disconnect();
    const store = await createStore(url);
    expect(await store.overrides.get('U1234')).toEqual(override);
    expect(await store.outbox.list()).toEqual([a, b]);
    await store.outbox.remove('a');
    await store.close();
    expect(await sql(file, "SELECT key FROM keyv WHERE key LIKE 'ci:outbox%'")).toEqual([{ key: 'ci:outbox:b' }]);
    const reopened = await createStore(url);
    expect(await reopened.outbox.list()).toEqual([b]);
    await reopened.close();
  });
});

describe('createStore loads a backend only for its scheme', () => {
  beforeAll(() => sqlite.start());
  afterAll(() => sqlite.stop());

  it('loads neither sqlite3 nor the Redis client for memory://, and sqlite3 only for sqlite://', async () => {
    const run = await runChild(
      'lazy.mts',
      [
        "import { createRequire } from 'node:module';",
        // sqlite3 and @redis/client are CommonJS: once loaded (even from ESM) they are in require.cache.
        "const loaded = (pkg: string) => Object.keys(createRequire(import.meta.url).cache).some((k) => k.replaceAll('\\\\', '/').includes('/node_modules/' + pkg + '/'));",
        "const seen = () => ({ sqlite3: loaded('sqlite3'), redis: loaded('@redis/client') });",
        'const { createStore } = await import($store);',
        "await (await createStore('memory://')).close();",
        'const memory = seen();',
        'await (await createStore(process.argv[2])).close();',
        'console.log(JSON.stringify({ memory, sqlite: seen() }));',
      ],
      [await sqlite.fresh()],
    );
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toEqual({
      memory: { sqlite3: false, redis: false },
      sqlite: { sqlite3: true, redis: false },
    });
  });
});

describe.skipIf(redis.skip)('store on redis:// shared by several instances', () => {
  let url = '';
  const opened: Store[] = [];
  const open = async (at = url, log?: { warn: () => void; info: () => void }) => {
    const store = await createStore(at, { log });
    opened.push(store);
    return store;
  };

  beforeAll(() => redis.start());
  afterAll(() => redis.stop());
  beforeEach(async () => {
    url = await redis.fresh();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  it('gives a lock to exactly one of 20 callers racing from two instances', async () => {
    const [a, b] = [await open(), await open()];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).locks.acquire('incident:20200526-23', `holder-${i}`, 5_000)),
    );
    expect(results.filter((r) => r.acquired)).toHaveLength(1);
    const firsts = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).once('request:T1', 5_000)));
    expect(firsts.filter(Boolean)).toHaveLength(1);
  });

  it('shows outbox, overrides and audit written by one instance to the other', async () => {
    const [a, b] = [await open(), await open()];
    await a.outbox.put(pending('p1'));
    await a.overrides.set('U1234', { username: 'jdoe', setBy: 'UADMIN', setAt: '2024-05-26T10:00:00Z' });
    await a.audit.append(auditRecord(1));
    expect(await b.outbox.list()).toEqual([pending('p1')]);
    expect(await b.overrides.get('U1234')).toMatchObject({ username: 'jdoe' });
    expect(await b.audit.history('20200526-23')).toEqual([auditRecord(1)]);
    await b.outbox.remove('p1');
    expect(await b.overrides.delete('U1234')).toBe(true);
    expect(await a.outbox.list()).toEqual([]);
    expect(await a.overrides.get('U1234')).toBeUndefined();
  });

  it('skips a damaged pending summary or audit record, listing the rest, instead of failing the whole list', async () => {
    const store = await open();
    await store.outbox.put(pending('p1'));
    await store.audit.append(auditRecord(1));
    await admin!.hSet('ci:outbox', 'broken', '{"id":"broken",');
    await admin!.lPush('ci:audit:20200526-23', 'not json');
    expect(await store.outbox.list()).toEqual([pending('p1')]);
    expect(await store.audit.history('20200526-23')).toEqual([auditRecord(1)]);
  });

  it('keeps every key under ci: with TTLs on locks, once and caches but not on overrides', async () => {
    const store = await open();
    await store.locks.acquire('incident:1', 'alice', 60_000);
    await store.once('request:T1', 60_000);
    await store.outbox.put(pending('p1'));
    await store.audit.append(auditRecord(1));
    await store.cache.set('email', 'U1234', 'jdoe@example.com', 60_000);
    await store.overrides.set('U1234', { username: 'jdoe', setBy: 'UADMIN', setAt: '2024-05-26T10:00:00Z' });
    const keys = (await admin!.keys('*')).sort();
    expect(keys).toEqual([
      'ci:audit-user:U1234',
      'ci:audit:20200526-23',
      'ci:cache:email:U1234',
      'ci:lock:incident:1',
      'ci:map:U1234',
      'ci:once:request:T1',
      'ci:outbox',
    ]);
    const ttls = Object.fromEntries(await Promise.all(keys.map(async (k) => [k, await admin!.pTTL(k)])));
    expect(ttls).toMatchObject({ 'ci:map:U1234': -1, 'ci:outbox': -1 });
    for (const k of ['ci:audit:20200526-23', 'ci:cache:email:U1234', 'ci:lock:incident:1', 'ci:once:request:T1']) {
      expect(ttls[k]).toBeGreaterThan(0);
    }
  });

  it('rejects calls without crashing and reports ping false while Redis is down', async () => {
    const own = await startRedis();
    const log = { warn: vi.fn(), info: vi.fn() };
    const store = await open(own!.url, log);
    expect(await store.ping()).toBe(true);
    await own!.stop();
    await sleep(100);
    await expect(store.locks.acquire('incident:1', 'alice', 5_000)).rejects.toThrow(/store: locks.acquire failed/);
    await expect(store.outbox.put(pending('p1'))).rejects.toBeInstanceOf(Error);
    await expect(store.cache.get('email', 'U1234')).rejects.toBeInstanceOf(Error);
    expect(await store.ping()).toBe(false);
    expect(log.warn).toHaveBeenCalledTimes(1);
  });

  it('does not put the password of the URL in its errors', async () => {
    const port = new URL(url).port;
    const refused = createStore('redis://:hunter2@127.0.0.1:1/0');
    await expect(refused).rejects.toThrow(/cannot connect to redis:\/\/:\*\*\*@127\.0\.0\.1:1\/0/);
    await expect(refused).rejects.not.toThrow(/hunter2/);
    const wrongPassword = createStore(`redis://:hunter2@127.0.0.1:${port}/0`);
    await expect(wrongPassword).rejects.toThrow(/store: cannot connect/);
    await expect(wrongPassword).rejects.not.toThrow(/hunter2/);
  });
});

describe('createStore', () => {
  it('refuses a URL scheme it does not know', async () => {
    await expect(createStore('postgres://localhost/ci')).rejects.toThrow(/unsupported URL scheme 'postgres'/);
  });
});
