import type { Keyv } from 'keyv';
import type { CloseQueueStore, QueuedClose } from '../domain/ports.ts';
import { K } from './common.ts';
import { serializer } from './local-store.ts';
import type { SqliteQuery, sqliteBatches } from './sqlite-batch.ts';

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
): CloseQueueStore {
  const chain = serializer();
  const decode = async (raw: string): Promise<QueuedClose | undefined> => {
    const data = keyv.deserialize ? await keyv.deserialize<QueuedClose>(raw) : JSON.parse(raw);
    return data?.value ?? undefined;
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
    get: (id) => chain(K.queueRecord(id), () => keyv.get<QueuedClose>(K.queueRecord(id))),
    remove: (id) => chain(K.queueRecord(id), () => batches.remove(K.queueRecord(id))),
    list: async () => {
      const from = K.queueRecord('');
      const rows = (await db.query(
        `SELECT value FROM ${table} WHERE key >= ? AND key < ?`,
        from,
        `${from.slice(0, -1)};`,
      )) as {
        value: string;
      }[];
      return (await Promise.all(rows.map((r) => decode(r.value)))).filter((e) => e !== undefined);
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
export function redisQueue(client: RedisHash): CloseQueueStore {
  return {
    put: async (e) => void (await client.hSet(K.queue, e.id, JSON.stringify(e))),
    get: async (id) => {
      const raw = await client.hGet(K.queue, id);
      return raw ? (JSON.parse(raw) as QueuedClose) : undefined;
    },
    remove: async (id) => void (await client.hDel(K.queue, id)),
    list: async () => (await client.hVals(K.queue)).map((v) => JSON.parse(v) as QueuedClose),
  };
}
