import { Keyv } from 'keyv';
import type { LockResult } from '../domain/ports.ts';
import type { AuditRecord, PendingSummary } from '../domain/types.ts';
import type { Log } from '../log.ts';
import { auditCap, auditTtlMs, K, keyvOptions, type Opened, type Parts, userAuditCap } from './common.ts';
import { memoryQueue } from './queue-store.ts';

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
  return { keyv, parts: localParts(keyv, outbox, memoryQueue()) };
}

/** Runs fn after every earlier call for the same key has settled (read-modify-writes, ordered writes). */
export function serializer() {
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
 * With `durableOnce` (sqlite) a once() mark is also kept in the file for its TTL, so the restart after a
 * crash still knows a key the dead process marked (a bulk close's Slack redelivery is not closed again).
 */
export function localParts(
  keyv: Keyv,
  outbox: Parts['outbox'],
  queue: Parts['queue'],
  durableOnce?: { log?: Pick<Log, 'warn'>; deadlineMs?: number },
): Parts {
  const held = new Map<string, { value: string; until: number }>();
  // Below the store's 3 s per call (keyv-store.ts), so once() settles before its caller gives up on it.
  const deadlineMs = durableOnce?.deadlineMs ?? 2_500;
  /** Marks written after their caller was told "unknown", not yet deleted from the file. */
  const unsaid = new Set<string>();
  let marks = 0;
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
  const byUser = async (u: string) => (await keyv.get<AuditRecord[]>(K.auditByUser(u))) ?? [];
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
      extend: async (key, holder, ttlMs) => {
        const cur = held.get(K.lock(key));
        if (!cur || cur.value !== holder || cur.until <= Date.now()) return false;
        cur.until = Date.now() + ttlMs;
        return true;
      },
    },
    once: async (key, ttlMs) => {
      const k = K.once(key);
      if (claim(k, '1', ttlMs) !== undefined) return false;
      if (!durableOnce) return true;
      const mine = held.get(k);
      const giveBack = () => {
        if (held.get(k) === mine) held.delete(k);
      };
      // The file's answer within the deadline, else unknown: the store call's own timeout (keyv-store.ts)
      // rejects the caller but stops nothing here, and a claim kept (or a mark written) after the caller
      // was told "unknown" would drop the redelivery that may send it as "already received".
      const token = `${process.pid}.${++marks}`;
      let abandoned = false;
      const durable = serially(k, async () => {
        const v = abandoned ? undefined : await keyv.get<string>(k);
        if (abandoned) return false;
        // A mark this process wrote for a caller it had already told "unknown" is no mark.
        if (v !== undefined && !unsaid.has(v)) return false;
        // Not written: this process still excludes repeats; only a restart would not know the key.
        await keyv
          .set(k, token, ttlMs)
          .catch((e) => durableOnce.log?.warn({ err: e, key }, 'store: once() mark not written to the file'));
        if (!abandoned) return true;
        // Landed after the deadline: taken back (a later once() of this key waits for this, serially).
        unsaid.add(token);
        await keyv.delete(k).then(
          () => unsaid.delete(token),
          () => {},
        );
        return false;
      });
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          abandoned = true;
          reject(new Error(`once() mark not confirmed by the file within ${deadlineMs} ms`));
        }, deadlineMs);
      });
      try {
        return await Promise.race([durable, late]);
      } catch (e) {
        // Unknown whether an earlier run marked it: the caller is told so (it must not close, nor say
        // "already received"), and the claim is given back so a later delivery may ask again.
        giveBack();
        throw e;
      } finally {
        clearTimeout(timer);
        durable.catch(() => {});
      }
    },
    outbox,
    queue,
    audit: {
      // At most auditCap records per incident, and one incident sees few closes: rewriting its array is cheap.
      append: (rec) =>
        serially(K.audit(rec.incidentNumber), async () => {
          const next = [rec, ...(await history(rec.incidentNumber))].slice(0, auditCap);
          await keyv.set(K.audit(rec.incidentNumber), next, auditTtlMs);
        }).then(() =>
          serially(K.auditByUser(rec.slackUserId), async () => {
            const mine = [rec, ...(await byUser(rec.slackUserId))].slice(0, userAuditCap);
            await keyv.set(K.auditByUser(rec.slackUserId), mine, auditTtlMs);
          }),
        ),
      history: async (n, limit = 20) => (await history(n)).slice(0, limit),
      byUser: async (u, limit = 10) => (await byUser(u)).slice(0, limit),
    },
    ping: async () => {
      await keyv.has(K.ping);
      return true;
    },
    close: () => keyv.disconnect(),
  };
}
