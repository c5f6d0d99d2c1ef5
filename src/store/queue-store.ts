import type { Keyv } from 'keyv';
import { z } from 'zod';
import type { CloseQueueStore, QueuedClose } from '../domain/ports.ts';
import type { Log } from '../log.ts';
import { K } from './common.ts';
import { serializer } from './local-store.ts';
import type { SqliteQuery, sqliteBatches } from './sqlite-batch.ts';

const text = z.string().min(1);
const queuedClose = z.object({
  id: text,
  request: z.object({
    requestId: text,
    slackUserId: text,
    slackTeamId: z.string().optional(),
    channelId: text,
    threadTs: z.string().optional(),
    incidentNumber: text,
    note: z.string(),
    disposition: z.string().optional(),
    noteMayName: z.boolean().optional(),
    dedupeKey: z.string().optional(),
  }),
  responseUrl: z.string().optional(),
  createdAt: z.number(),
  attemptedAt: z.number().optional(),
  failures: z.number().int().min(0).optional(),
});

/**
 * A stored value the takeover cannot read (half written, another version's shape, edited by hand) is
 * left where it is and logged: one such entry must not hide the readable ones, nor throw in the takeover.
 */
function readable(key: string, value: unknown, log: Pick<Log, 'warn'> | undefined): QueuedClose | undefined {
  const parsed = queuedClose.safeParse(value);
  if (parsed.success) return parsed.data as QueuedClose;
  log?.warn({ key }, 'queued close unreadable in the store: skipped (remove it by hand once checked)');
  return undefined;
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** memory://: a Map, copied in and out as a durable store would. */
export function memoryQueue(): CloseQueueStore {
  const entries = new Map<string, QueuedClose>();
  return {
    put: async (e) => void entries.set(e.id, structuredClone(e)),
    get: async (id) => {
      const e = entries.get(id);
      return e && structuredClone(e);
    },
    remove: async (id) => void entries.delete(id),
    list: async () => Array.from(entries.values(), (e) => structuredClone(e)),
  };
}

/**
 * sqlite://: one row per entry (`ci:queue:<id>`), as the outbox keeps pending summaries, so put and
 * remove touch one row and the restart lists them with a range on the primary key.
 */
export function sqliteQueue(
  keyv: Keyv,
  db: SqliteQuery,
  table: string,
  batches: ReturnType<typeof sqliteBatches>,
  log?: Pick<Log, 'warn'>,
): CloseQueueStore {
  const chain = serializer();
  const decode = async (key: string, raw: string): Promise<QueuedClose | undefined> => {
    const data = await Promise.resolve(keyv.deserialize ? keyv.deserialize<QueuedClose>(raw) : parseJson(raw)).catch(
      () => undefined,
    );
    return readable(key, (data as { value?: unknown } | undefined)?.value, log);
  };
  return {
    // Chained per id, so a remove never overtakes the put or the "attempted" update before it.
    put: (e) =>
      chain(K.queueRecord(e.id), async () => {
        const record = { value: e, expires: undefined };
        await batches.upsert(
          K.queueRecord(e.id),
          keyv.serialize ? await keyv.serialize(record) : JSON.stringify(record),
        );
      }),
    get: (id) =>
      chain(K.queueRecord(id), async () => {
        const value = await keyv.get<QueuedClose>(K.queueRecord(id)).catch(() => ({}));
        return value === undefined ? undefined : readable(K.queueRecord(id), value, log);
      }),
    remove: (id) => chain(K.queueRecord(id), () => batches.remove(K.queueRecord(id))),
    list: async () => {
      const from = K.queueRecord('');
      const rows = (await db.query(
        `SELECT key, value FROM ${table} WHERE key >= ? AND key < ?`,
        from,
        `${from.slice(0, -1)};`,
      )) as {
        key: string;
        value: string;
      }[];
      return (await Promise.all(rows.map((r) => decode(r.key, r.value)))).filter((e) => e !== undefined);
    },
  };
}

interface RedisHash {
  hSet(key: string, field: string, value: string): Promise<unknown>;
  hDel(key: string, field: string): Promise<unknown>;
  hGet(key: string, field: string): Promise<string | null | undefined>;
  hVals(key: string): Promise<string[]>;
}

/** redis:// : one hash shared by every instance, a field per entry. */
export function redisQueue(client: RedisHash, log?: Pick<Log, 'warn'>): CloseQueueStore {
  return {
    put: async (e) => void (await client.hSet(K.queue, e.id, JSON.stringify(e))),
    get: async (id) => {
      const raw = await client.hGet(K.queue, id);
      return raw ? readable(`${K.queue} ${id}`, parseJson(raw), log) : undefined;
    },
    remove: async (id) => void (await client.hDel(K.queue, id)),
    list: async () =>
      (await client.hVals(K.queue)).map((v) => readable(K.queue, parseJson(v), log)).filter((e) => e !== undefined),
  };
}
