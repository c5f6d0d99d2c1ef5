import type { Keyv } from 'keyv';
import type { Store } from '../domain/ports.ts';
import type { Log } from '../log.ts';

export interface StoreOptions {
  /** Connection trouble after start-up is logged here (once per outage), never thrown from an event. */
  log?: Pick<Log, 'warn' | 'info'>;
  /** sqlite: how often expired records are removed from the file (sqlite-sweep.ts); tests shorten it. */
  sweep?: { firstAfterMs?: number; everyMs?: number };
}

/** The parts whose atomicity differs per backend; cache and overrides are plain keyv on all of them. */
export type Parts = Pick<Store, 'locks' | 'once' | 'outbox' | 'queue' | 'audit' | 'ping' | 'close'>;
export interface Opened {
  keyv: Keyv;
  parts: Parts;
}

/** Keys are used as given: no keyv namespace, no prefix. */
export const keyvOptions = { namespace: undefined, useKeyPrefix: false, throwOnErrors: true } as const;

export const auditCap = 200;
export const userAuditCap = 20;
export const auditTtlMs = 90 * 24 * 60 * 60 * 1000;
export const K = {
  lock: (key: string) => `ci:lock:${key}`,
  once: (key: string) => `ci:once:${key}`,
  /** Redis: one hash, a field per pending summary. Before one key per record, sqlite kept them all in one value here. */
  outbox: 'ci:outbox',
  /** memory:// and sqlite://: one key per pending summary, so put/remove touch only that record. */
  outboxRecord: (id: string) => `ci:outbox:${id}`,
  /** Acknowledged closes waiting for D3 (queue-store.ts): a Redis hash, or one key per entry. */
  queue: 'ci:queue',
  queueRecord: (id: string) => `ci:queue:${id}`,
  audit: (incidentNumber: string) => `ci:audit:${incidentNumber}`,
  /** A Slack user's latest close attempts (App Home), newest first, at most userAuditCap. */
  auditByUser: (slackUserId: string) => `ci:audit-user:${slackUserId}`,
  cache: (ns: string, key: string) => `ci:cache:${ns}:${key}`,
  map: (slackUserId: string) => `ci:map:${slackUserId}`,
  ping: 'ci:ping',
};

export const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));
export const redact = (text: string, secrets: string[]) => secrets.reduce((t, s) => t.split(s).join('***'), text);
export const redactUrl = (url: string) => url.replace(/^([a-z]+:\/\/[^/@]*?:)[^/@]+@/i, '$1***@');
