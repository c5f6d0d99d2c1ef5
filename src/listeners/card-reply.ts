import type { RespondFn } from '@slack/bolt';
import { CloseError, type CloseErrorCode } from '../domain/errors.ts';
import type { Outcome } from '../domain/types.ts';
import type { Reply } from '../slack/render/kit.ts';
import { errorMessage, type MessageContext } from '../slack/render/messages.ts';
import { outcomeMessage } from '../slack/render/outcome.ts';
import type { ListenerDeps } from './deps.ts';
import { replyOnce } from './reply-once.ts';

/**
 * A refused click leaves the card in place: used or expired, it says so itself; unspent (D3's queue full,
 * the store not answering), it can be clicked again; still closing, its outcome replaces it. One spent
 * with nothing sent (confirm_spent) is replaced by its answer, so its dead buttons go.
 */
const cardStays = new Set<CloseErrorCode>([
  'confirm_used',
  'confirm_expired',
  'queue_full',
  'internal',
  'confirm_pending',
]);

/**
 * How a confirmation card's click is answered (block-actions.ts confirmClicked). On the click's
 * response_url; refused there (expired, used up), where the analyst clicked, else by DM. A close's outcome
 * told by the durable queue has its own fallback (close-queue.ts tellOrFallBack); these are the answers
 * that never reach the queue: cancelled, expired, another user's button, still closing, unreadable, busy.
 */
export function cardReply(
  deps: Pick<ListenerDeps, 'log' | 'notifyUser'>,
  respond: RespondFn,
  where: { channelId: string; userId: string; ctx: MessageContext },
) {
  const { ctx } = where;
  const directly = (msg: Reply) => async (e: unknown) => {
    deps.log.warn(
      { err: e, incident: ctx.incidentNumber },
      "the card's response_url refused its answer; telling the analyst directly",
    );
    await deps.notifyUser(where.channelId, where.userId, msg);
  };
  return {
    answer: (msg: Reply, replaceOriginal: boolean): Promise<void> =>
      respond({ replace_original: replaceOriginal, ...msg }).then(() => {}, directly(msg)),

    /**
     * A genuine card's value clicked from another workspace (the app installed there signs too) closes
     * nothing; its refusal goes to its response_url only (nothing is posted into another workspace).
     * Refused there, it is logged, and the refusal is still audited (origin-gate.ts records it after this).
     */
    outsider: async (e: CloseError): Promise<void> => {
      await respond({ replace_original: false, text: errorMessage(e, ctx) }).catch((err: unknown) =>
        deps.log.warn(
          { err, incident: ctx.incidentNumber },
          "the card's response_url refused a refusal for another workspace",
        ),
      );
    },

    /**
     * The click's outcome, told once by whichever comes first: the durable queue (`tell`) or the click's own
     * answer (`settle`). Still closing at the deadline, the card says so (settle) and the queue tells the
     * outcome later: a notice that reached the analyst after that outcome would contradict it, so its
     * fallback is dropped once the queue has told, and the outcome waits for a fallback already on its way.
     */
    outcome(requestId: string) {
      const reply = replyOnce((o) => {
        const refusedClick = !o.ok && cardStays.has(o.error.code);
        return respond({ replace_original: !refusedClick, ...outcomeMessage(o, { ...ctx, requestId }) });
      });
      let queueTold = false;
      let noticeFallback: Promise<void> | undefined;
      return {
        async tell(o: Outcome): Promise<void> {
          queueTold = true;
          if (noticeFallback) await noticeFallback.catch(() => {});
          await reply.tell(o);
        },
        async settle(o: Outcome): Promise<void> {
          await reply.settle(o).catch(async (e: unknown) => {
            if (queueTold)
              return void deps.log.warn(
                { err: e, incident: ctx.incidentNumber, requestId },
                "the card's response_url refused its answer, and the outcome was told since; not sent",
              );
            noticeFallback = directly(outcomeMessage(o, { ...ctx, requestId }))(e);
            await noticeFallback;
          });
        },
      };
    },
  };
}

/** What a click that threw unexpectedly is answered: on the card, never "not closed" (internal). */
export const clickFailed = (): Outcome => ({
  ok: false,
  error: new CloseError('internal', { reason: 'card click failed' }),
});
