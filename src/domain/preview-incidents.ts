/**
 * Previews shown before a close: in the modal as numbers are typed, and on the confirmation card
 * (CONFIRM_BEFORE_CLOSE) whose Close button alone sends the close, once, within 10 minutes.
 */

import type { Log } from '../log.ts';
import { CARD_ANSWER_WITHIN_MS, type Deadline, deadlineIn, retryUntil } from './card-deadline.ts';
import { type CloseRequest, markRequest, unmarkRequest } from './close-incident.ts';
import { chooseDisposition, type DispositionRules } from './disposition.ts';
import { CloseError, isCloseError } from './errors.ts';
import type { IncidentPreviewer, IncidentState, ResolveIdentity, Store } from './ports.ts';
import type { Outcome } from './types.ts';

/** One number's preview: what D3 showed, or why there is none (flagged in place before submit). */
export interface PreviewLine {
  incidentNumber: string;
  state?: IncidentState;
  /** `unknown`: D3 refused the read (no such incident for this user; its words in `said`); `unreadable`: no answer. */
  problem?: 'unknown' | 'unreadable' | 'not_mapped';
  said?: string;
}

export const PREVIEW_MAX_LINES = 10;

/** Reads up to 10 numbers as the analyst's D3 user; never throws. Empty when D3_PREVIEW=false. */
export function createPreviewIncidents(deps: { resolveIdentity: ResolveIdentity; previewer?: IncidentPreviewer }) {
  return async (slackUserId: string, numbers: string[], requestId: string): Promise<PreviewLine[]> => {
    const { previewer } = deps;
    if (!previewer || numbers.length === 0) return [];
    const { identity } = await deps.resolveIdentity(slackUserId);
    const some = numbers.slice(0, PREVIEW_MAX_LINES);
    if (!identity) return some.map((incidentNumber) => ({ incidentNumber, problem: 'not_mapped' }));
    return Promise.all(
      some.map(async (incidentNumber): Promise<PreviewLine> => {
        try {
          const state = await previewer.readIncident({ ...identity, incidentNumber, requestId });
          return { incidentNumber, state };
        } catch (e) {
          // A refusal in D3's words is how it answers for a number it does not have (or not on this site).
          if (isCloseError(e) && (e.code === 'd3_rejected' || e.code === 'd3_bad_request'))
            return { incidentNumber, problem: 'unknown', ...(e.detail.d3Message && { said: e.detail.d3Message }) };
          return { incidentNumber, problem: 'unreadable' };
        }
      }),
    );
  };
}

export type PreviewIncidents = ReturnType<typeof createPreviewIncidents>;

interface Pending {
  req: CloseRequest;
}

export interface ConfirmDeps {
  closeIncident(req: CloseRequest): Promise<Outcome>;
  previewIncidents: PreviewIncidents;
  store: Pick<Store, 'locks' | 'cache' | 'queue'>;
  /** True while D3's queue is full (admission.ts): a Close is then refused before anything is spent. */
  busy?(): boolean;
  dispositions?: DispositionRules;
  newId(): string;
  now?: () => number;
  ttlMs?: number;
  /** A click is answered within this long (default CARD_ANSWER_WITHIN_MS, card-deadline.ts). */
  answerWithinMs?: number;
  /** Pauses before the second and third try to give a card's mark back (default 200 ms, 1 s). */
  giveBackPausesMs?: number[];
  log?: Pick<Log, 'warn'>;
}

export type Prepared =
  | { ok: false; error: CloseError }
  | { ok: true; id: string; expiresAt: number; line: PreviewLine; note: string; disposition?: string };

const NS = 'confirm';
/** A give-back after the analyst was answered (still closing at the deadline) has this long of its own. */
const GIVE_BACK_WINDOW_MS = 5_000;

/** The card's two halves: prepare (store the request, read the preview) and decide (the click). */
export function createConfirmClose(deps: ConfirmDeps) {
  const now = deps.now ?? Date.now;
  const ttlMs = deps.ttlMs ?? 10 * 60_000;
  const answerWithinMs = deps.answerWithinMs ?? CARD_ANSWER_WITHIN_MS;
  const storedCloseOf = async (dedupeKey: string) =>
    (await deps.store.queue.list()).some((e) => e.request.dedupeKey === dedupeKey);
  const pauses = deps.giveBackPausesMs ?? [200, 1_000];
  /**
   * What the analyst is told for a click's close: refused by D3's full queue after it spent the card's
   * mark (nothing sent), the card is given back first, so the answer says whether it can be clicked again.
   * The give-back is retried while the store fails for a moment, but not past the click's deadline: true
   * only once the store said it was done (a throw, a timeout or a hang is not); else the mark stays, the
   * card no longer closes (`confirm_spent`), and a give-back the store takes late only makes it usable again.
   */
  async function cardAnswer(o: Outcome, dedupeKey: string, requestId: string, late: Deadline): Promise<Outcome> {
    if (o.ok || o.error.code !== 'queue_full') return usedIfDuplicate(o);
    const until = late.passed ? deadlineIn(GIVE_BACK_WINDOW_MS).reached : late.reached;
    const given = await retryUntil(
      () => unmarkRequest(deps.store, dedupeKey, requestId),
      pauses,
      until,
      (err) =>
        deps.log?.warn({ err, requestId, dedupeKey }, 'confirmation card not given back; it can no longer close'),
    );
    if (given) return o;
    return { ok: false, error: new CloseError('confirm_spent', { reason: 'card mark not given back' }) };
  }
  return {
    async prepare(req: CloseRequest): Promise<Prepared> {
      const chosen = chooseDisposition(deps.dispositions, req);
      if ('error' in chosen) return { ok: false, error: chosen.error };
      const id = deps.newId();
      const expiresAt = now() + ttlMs;
      const stored: CloseRequest = { ...req, note: chosen.note, noteMayName: false };
      if (chosen.disposition) stored.disposition = chosen.disposition.short;
      try {
        await deps.store.cache.set<Pending>(NS, id, { req: stored }, ttlMs);
      } catch (e) {
        return { ok: false, error: new CloseError('internal', { reason: 'confirm card not stored' }, { cause: e }) };
      }
      const [line] = await deps.previewIncidents(req.slackUserId, [req.incidentNumber], req.requestId);
      return {
        ok: true,
        id,
        expiresAt,
        line: line ?? { incidentNumber: req.incidentNumber },
        note: chosen.note,
        ...(chosen.disposition && { disposition: chosen.disposition.name }),
      };
    },

    /**
     * A click: expired, already used, cancelled, or the close itself (run once, by the card's owner). The
     * card is spent by the close's own de-duplication mark (close-incident.ts), made after the close is
     * stored: a crash between the click and that store leaves the card usable, not "already used" with
     * nothing closed. A second Close then reads as used, and so does a Cancel after a Close. A Close refused
     * by D3's full queue (nothing sent) gives the card back before it is answered; should the store not let
     * it, the answer is `confirm_spent` (run the command again), never "retry" on a card that cannot close.
     */
    async decide(
      c: {
        id: string;
        expiresAt: number;
        slackUserId: string;
        action: 'close' | 'cancel';
        requestId: string;
      },
      tell?: CloseRequest['tell'],
    ): Promise<Outcome | { cancelled: true }> {
      if (now() > c.expiresAt) return { ok: false, error: new CloseError('confirm_expired') };
      const late = deadlineIn(answerWithinMs);
      try {
        return await decideBy(c, late, tell);
      } finally {
        late.clear();
      }
    },
  };

  /**
   * The click, answered by `late` whatever the store does. Still reading the card then: nothing was sent,
   * and nothing will be (the close is not started after), so the answer is the store's `internal`. Still
   * closing: the close may reach D3, so the answer is `confirm_pending` (never "not closed"), and the
   * outcome follows when the durable queue tells it. Giving the card back: `confirm_spent`.
   */
  async function decideBy(
    c: Click,
    late: Deadline,
    tell?: CloseRequest['tell'],
  ): Promise<Outcome | { cancelled: true }> {
    const dedupeKey = `${NS}:${c.id}`;
    const read = await Promise.race([readCard(c, dedupeKey, late), late.reached]);
    if (read === 'late' || 'unreadable' in read) {
      const cause = read === 'late' ? new Error('store did not answer in time') : read.unreadable;
      // The store did not answer: nothing was closed or cancelled, and the card may well still be valid.
      return { ok: false, error: new CloseError('internal', { reason: 'confirm card unreadable' }, { cause }) };
    }
    if (!('pending' in read)) return read;
    const { pending } = read;
    // Gone from the store (restarted memory store, evicted): it cannot be told apart from expired.
    if (!pending || pending.req.slackUserId !== c.slackUserId)
      return { ok: false, error: new CloseError('confirm_expired') };
    // As a typed close is refused in its acknowledgement, before anything is spent. Checked and counted
    // (closeIncident is admission.admit) with no await between, so clicks arriving together cannot all pass.
    if (deps.busy?.()) return { ok: false, error: new CloseError('queue_full') };
    // Once, whichever comes first: the durable queue's (told before it forgets the close, by `tell` or,
    // refused there, by DM), or the return.
    let answer: Promise<Outcome> | undefined;
    const answerOf = (o: Outcome) => {
      answer ??= cardAnswer(o, dedupeKey, c.requestId, late);
      return answer;
    };
    const closed = deps
      .closeIncident({ ...pending.req, requestId: c.requestId, dedupeKey, answer: answerOf, ...(tell && { tell }) })
      .then(answerOf);
    // An outcome known by then is the answer: its give-back ends at the same deadline (confirm_spent).
    const first = await Promise.race([
      closed,
      late.reached.then(async () => (answer ? await answer : ('late' as const))),
    ]);
    if (first !== 'late') return first;
    return { ok: false, error: new CloseError('confirm_pending') };
  }

  /** The card as stored, or why there is no close to run (used, cancelled, or the store's error). */
  async function readCard(
    c: Click,
    dedupeKey: string,
    late: Deadline,
  ): Promise<{ pending: Pending | undefined } | { unreadable: unknown } | Outcome | { cancelled: true }> {
    try {
      // A Close of this card already stored (running, or left by a crash for the takeover) has spent it,
      // whether or not its mark survived: on sqlite the mark lives in memory, and a restart forgets it.
      if (await storedCloseOf(dedupeKey)) return { ok: false, error: new CloseError('confirm_used') };
      // Answered already (the store too slow): a Cancel marked after that answer would spend a live card.
      if (late.passed) return { unreadable: new Error('store did not answer in time') };
      if (c.action === 'cancel') {
        if (!(await markRequest(deps.store, dedupeKey, `cancel:${c.requestId}`)))
          return { ok: false, error: new CloseError('confirm_used') };
        return { cancelled: true };
      }
      return { pending: await deps.store.cache.get<Pending>(NS, c.id) };
    } catch (unreadable) {
      return { unreadable };
    }
  }
}

interface Click {
  id: string;
  expiresAt: number;
  slackUserId: string;
  action: 'close' | 'cancel';
  requestId: string;
}

/** The card's mark was spent by an earlier Close or a Cancel: to the analyst, the card was used. */
const usedIfDuplicate = (o: Outcome): Outcome =>
  !o.ok && o.error.code === 'duplicate_request' ? { ok: false, error: new CloseError('confirm_used') } : o;

export type ConfirmClose = ReturnType<typeof createConfirmClose>;
