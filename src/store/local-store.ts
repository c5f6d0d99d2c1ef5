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
  durableOnce?: { log?: Pick<Log, 'warn'> },
): Parts {
  const held = new Map<string, { value: string; until: number }>();
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
      if (claim(K.once(key), '1', ttlMs) !== undefined) return false;
      if (!durableOnce) return true;
      try {
        if ((await keyv.get<string>(K.once(key))) !== undefined) return false;
      } catch (e) {
        // Unknown whether an earlier run marked it: the caller is told so (it must not close, nor say
        // "already received"), and the claim is given back so a later delivery may ask again.
        held.delete(K.once(key));
        throw e;
      }
      // Not written: this process still excludes repeats; only a restart would not know the key.
      await keyv
        .set(K.once(key), '1', ttlMs)
        .catch((e) => durableOnce.log?.warn({ err: e, key }, 'store: once() mark not written to the file'));
      return true;
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
