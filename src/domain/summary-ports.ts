/** The ports summary delivery needs: Slack (post, look up), the store parts it uses, and what it reports. */
import type { Log } from '../log.ts';
import type { Locks, Outbox } from './ports.ts';
import type { PendingSummary } from './types.ts';

/**
 * What posting one summary came to. `permanent`: no retry will fix it. `maybePosted`: Slack may have
 * taken it although the call failed (timeout, reset, 5xx), so a replay looks in the channel first.
 */
export type PostResult = { ok: true } | { ok: false; slackError: string; permanent: boolean; maybePosted?: boolean };

/** Whether the channel already shows a summary (its closure id in the message metadata). */
export type Seen = { seen: 'posted' } | { seen: 'absent' } | { seen: 'unknown'; reason: string; transient: boolean };

/** The parts of the store summaries use (the store's port satisfies it). */
export interface SummaryStore {
  locks: Locks;
  outbox: Outbox;
}

/** Counted in /metrics: store failures by operation, closures that could not even be held in memory. */
export type SummaryEvent = 'put_failed' | 'claim_failed' | 'remove_failed' | 'list_failed' | 'dropped';

export interface SummaryDeps {
  store: SummaryStore;
  post(p: PendingSummary): Promise<PostResult>;
  /** Looks for the summary in its channel; left out when the bot may not read history (at-least-once). */
  findPosted?: (p: PendingSummary) => Promise<Seen>;
  /** Tells the analyst when a replayed summary can never be posted. */
  notifyNotPosted(p: PendingSummary, slackError: string): Promise<void>;
  log: Log;
  /** Identifies this process as the holder of a summary's claim. */
  instanceId: string;
  /** How long one instance may hold a summary while posting it; a dead holder's claim lapses after this. */
  claimTtlMs: number;
  /** Most closures kept in memory while the store is down (default 1,000); past it they are dropped, and said so. */
  heldMax?: number;
  observe?: (e: SummaryEvent) => void;
  /** Settles a close intent (PendingSummary.unconfirmed): the proven summary, 'drop' or 'later'. */
  resolveIntent?: (p: PendingSummary) => Promise<PendingSummary | 'drop' | 'later'>;
}
