import { Keyv } from 'keyv';
import type { LockResult } from '../domain/ports.ts';
import type { AuditRecord, PendingSummary } from '../domain/types.ts';
import {
  auditCap,
  auditTtlMs,
  K,
  keyvOptions,
  messageOf,
  type Opened,
  redact,
  redactUrl,
  type StoreOptions,
  userAuditCap,
} from './common.ts';
import { redisQueue } from './queue-store.ts';

const extendScript =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0";
const releaseScript = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";

/** redis:// and rediss://: shared by every instance; @keyv/redis (and its client) is loaded only here. */
export async function openRedis(url: string, opts: StoreOptions, secrets: string[]): Promise<Opened> {
  const { default: KeyvRedis, createClient } = await import('@keyv/redis');
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
  const keyv = new Keyv(new KeyvRedis(client, { throwOnErrors: true, throwOnConnectError: true }), keyvOptions);
  const setNx = async (key: string, value: string, ttlMs: number) =>
    (await client.set(key, value, { condition: 'NX', expiration: { type: 'PX', value: ttlMs } })) !== null;
  // One damaged value (written by hand, another version) is skipped and logged, never the whole list: a
  // list that throws would stop the summary replay for every pending summary behind it.
  const parseAll =
    <T>(what: string) =>
    (values: string[]): T[] =>
      values.flatMap((v) => {
        try {
          return [JSON.parse(v) as T];
        } catch {
          opts.log?.warn({ what }, 'store: unreadable record in Redis skipped');
          return [];
        }
      });
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
        // Compare-and-expire in one step: a lapsed lock taken by someone else is never extended.
        extend: async (key, holder, ttlMs) =>
          (await client.eval(extendScript, { keys: [K.lock(key)], arguments: [holder, String(ttlMs)] })) === 1,
      },
      once: (key, ttlMs) => setNx(K.once(key), '1', ttlMs),
      outbox: {
        put: async (rec) => void (await client.hSet(K.outbox, rec.id, JSON.stringify(rec))),
        remove: async (id) => void (await client.hDel(K.outbox, id)),
        list: async () => parseAll<PendingSummary>('pending summary')(await client.hVals(K.outbox)),
      },
      queue: redisQueue(client, opts.log),
      audit: {
        append: async (rec) => {
          const key = K.audit(rec.incidentNumber);
          const mine = K.auditByUser(rec.slackUserId);
          const json = JSON.stringify(rec);
          await client
            .multi()
            .lPush(key, json)
            .lTrim(key, 0, auditCap - 1)
            .pExpire(key, auditTtlMs)
            .lPush(mine, json)
            .lTrim(mine, 0, userAuditCap - 1)
            .pExpire(mine, auditTtlMs)
            .exec();
        },
        history: async (n, limit = 20) =>
          parseAll<AuditRecord>('audit record')(await client.lRange(K.audit(n), 0, limit - 1)),
        byUser: async (u, limit = 10) =>
          parseAll<AuditRecord>('audit record')(await client.lRange(K.auditByUser(u), 0, limit - 1)),
      },
      ping: async () => (await client.ping()) === 'PONG',
      close: async () => {
        // QUIT waits for replies a frozen Redis never sends: give it a moment, then drop the socket.
        const quit = client.isReady ? client.close().catch(() => {}) : undefined;
        let timer: NodeJS.Timeout | undefined;
        if (quit) await Promise.race([quit, new Promise((r) => (timer = setTimeout(r, 1_000)))]);
        clearTimeout(timer);
        if (client.isOpen) client.destroy();
      },
    },
  };
}
