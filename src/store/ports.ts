import type { AuditRecord, PendingSummary } from '../domain/types.ts';

/** A user-map entry set from Slack by an admin (`/close-incident map`). */
export interface MappingOverride {
  username: string;
  site?: string;
  setBy: string;
  setAt: string;
}

export type LockResult = { acquired: true } | { acquired: false; holder: string };

/**
 * Everything the bot keeps, behind small ports over one keyv store. Keys are namespaced
 * (`ci:lock:`, `ci:once:`, `ci:outbox:`, `ci:audit:`, `ci:cache:`, `ci:map:`).
 */
export interface Store {
  /** Per-incident locks with a TTL. Atomic across instances on Redis (SET NX PX). */
  locks: {
    acquire(key: string, holder: string, ttlMs: number): Promise<LockResult>;
    /** Releases only if `holder` still holds it. */
    release(key: string, holder: string): Promise<void>;
    /**
     * Pushes the expiry of a lock `holder` still holds to ttlMs from now (a heartbeat for work that may
     * outlive its first TTL). False when the lock lapsed or another holder has it: the caller lost it.
     */
    extend(key: string, holder: string, ttlMs: number): Promise<boolean>;
  };
  /** Marks `key` as seen; true only for the first caller within ttlMs (request de-duplication). */
  once(key: string, ttlMs: number): Promise<boolean>;
  /** Confirmed closures whose summary is not yet posted. */
  outbox: {
    put(rec: PendingSummary): Promise<void>;
    remove(id: string): Promise<void>;
    list(): Promise<PendingSummary[]>;
  };
  audit: {
    append(rec: AuditRecord): Promise<void>;
    /** Newest first. */
    history(incidentNumber: string, limit?: number): Promise<AuditRecord[]>;
  };
  /** Short-lived caches (email by Slack user, user-group members). */
  cache: {
    get<T>(ns: string, key: string): Promise<T | undefined>;
    set<T>(ns: string, key: string, value: T, ttlMs: number): Promise<void>;
  };
  overrides: {
    get(slackUserId: string): Promise<MappingOverride | undefined>;
    set(slackUserId: string, o: MappingOverride): Promise<void>;
    delete(slackUserId: string): Promise<boolean>;
  };
  /** True when the backing store answers (for /readyz). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
