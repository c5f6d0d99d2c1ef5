import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs, ViewOutput } from '@slack/bolt';
import { incidentNumberProblem } from '../domain/command-text.ts';
import { CloseError, type CloseErrorCode } from '../domain/errors.ts';
import type { Outcome } from '../domain/types.ts';
import { ids } from '../ids.ts';
import type { Reply } from '../slack/render/kit.ts';
import { errorMessage } from '../slack/render/messages.ts';
import { closeModal } from '../slack/render/modal.ts';
import { outcomeMessage } from '../slack/render/outcome.ts';
import { cancelledText } from '../slack/render/replies.ts';
import type { ListenerDeps } from './deps.ts';
import { actionOrigin } from './origin.ts';
import { replyOnce } from './reply-once.ts';

type Args<A extends BlockAction['actions'][number]> = SlackActionMiddlewareArgs<BlockAction<A>> & AllMiddlewareArgs;

/** The numbers typed so far, one per line (or comma-separated); malformed ones are left to the submit's check. */
const numbersIn = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '' && !incidentNumberProblem(s));

/** A number typed in the modal: the incident's preview appears under it (views.update with the view's hash). */
export const incidentTyped =
  (deps: ListenerDeps) =>
  async ({ ack, body, action, client }: Args<BlockAction['actions'][number]>): Promise<void> => {
    await ack();
    // From another workspace: nothing is read (README: requests come from this workspace only).
    const subject = { slackUserId: body.user.id, slackTeamId: body.team?.id, incidentNumber: '', note: '' };
    if (await deps.refusedOutsider(actionOrigin(body), { ...subject, action: 'modal' }, async () => {})) return;
    const view = body.view as (ViewOutput & { hash?: string }) | undefined;
    const typed = 'value' in action && typeof action.value === 'string' ? action.value : '';
    if (!view) return;
    const preview = await deps.previewIncidents(body.user.id, numbersIn(typed), deps.newRequestId());
    const rendered = closeModal({
      // Passed through as Slack echoed it: still sealed, and checked again on submit.
      privateMetadata: view.private_metadata,
      noteRequired: deps.rules.noteRequired,
      dispositions: deps.dispositions.list,
      dispositionRequired: deps.dispositions.required,
      preview,
      // App Home's channel picker stays where it was (blocks keep their input state by block_id).
      extraBlocks: (view.blocks ?? []).filter((b) => b.block_id === ids.channelBlock) as never,
    });
    await client.views.update({ view_id: view.id, hash: view.hash, view: rendered }).catch((e: unknown) => {
      // hash_conflict: the analyst typed on and a newer preview is on its way; nothing to tell them.
      deps.log.debug({ err: e }, 'preview not shown (views.update refused)');
    });
  };

const cardStays = new Set<CloseErrorCode>([
  'confirm_used',
  'confirm_expired',
  'queue_full',
  'internal',
  'confirm_pending',
]);

/** Close or Cancel on a confirmation card: once, by its owner, within 10 minutes; else says why. */
export const confirmClicked =
  (deps: ListenerDeps) =>
  async ({ ack, body, action, respond }: Args<ButtonAction>): Promise<void> => {
    await ack();
    const v = deps.buttons.open(action.value);
    const ctx = { incidentNumber: v?.n, supportContact: deps.supportContact };
    const subject = { slackUserId: body.user.id, slackTeamId: body.team?.id, incidentNumber: v?.n ?? '', note: '' };
    // An answer the card's response_url refuses (expired, used up) reaches the analyst where they clicked,
    // else by DM. A close's outcome has that already (the durable queue's fallback, close-queue.ts); these
    // are the answers that never reach the queue: refused, expired, used, cancelled, still closing.
    const channelId = body.channel?.id ?? body.user.id;
    const directly = (msg: Reply) => async (e: unknown) => {
      deps.log.warn(
        { err: e, incident: v?.n },
        "the card's response_url refused its answer; telling the analyst directly",
      );
      await deps.notifyUser(channelId, body.user.id, msg);
    };
    const answer = (msg: Reply, replaceOriginal: boolean) =>
      respond({ replace_original: replaceOriginal, ...msg }).catch(directly(msg));
    // A genuine card's value clicked from another workspace (the app installed there signs too) closes
    // nothing; that refusal goes to its response_url only (nothing is posted into another workspace).
    // Refused there, it is logged, and the refusal is still audited (origin-gate.ts records it after this).
    const outsider = async (e: CloseError) =>
      void (await respond({ replace_original: false, text: errorMessage(e, ctx) }).catch((err: unknown) =>
        deps.log.warn({ err, incident: v?.n }, "the card's response_url refused a refusal for another workspace"),
      ));
    if (await deps.refusedOutsider(actionOrigin(body), { ...subject, action: 'close' }, outsider)) return;
    if (!v || v.user !== body.user.id)
      return void (await answer({ text: errorMessage(new CloseError('confirm_expired'), ctx) }, false));
    const requestId = deps.newRequestId();
    // A refused click leaves the card in place: used or expired, it says so itself; unspent (D3's queue
    // full, the store not answering), it can be clicked again; still closing, its outcome replaces it. One spent with nothing sent (confirm_spent)
    // is replaced by its answer, so its dead buttons go.
    const reply = replyOnce((o) => {
      const refusedClick = !o.ok && cardStays.has(o.error.code);
      return respond({ replace_original: !refusedClick, ...outcomeMessage(o, { ...ctx, requestId }) });
    });
    // Still closing at the deadline, the card says so (settle) and the durable queue tells the outcome
    // later (queueTells). A notice that reaches the analyst after that outcome would contradict it: its
    // fallback is dropped once the queue has told, and the outcome waits for a fallback already on its way.
    let queueTold = false;
    let noticeFallback: Promise<void> | undefined;
    const queueTells = async (o: Outcome) => {
      queueTold = true;
      if (noticeFallback) await noticeFallback.catch(() => {});
      await reply.tell(o);
    };
    const fallBack = (msg: Reply) => async (e: unknown) => {
      if (queueTold)
        return void deps.log.warn(
          { err: e, incident: v.n, requestId },
          "the card's response_url refused its answer, and the outcome was told since; not sent",
        );
      noticeFallback = directly(msg)(e);
      await noticeFallback;
    };
    // Acknowledged already: the close runs on without Bolt waiting for it (after-ack.ts says why).
    const decided = async () => {
      const result = await deps.confirm
        .decide({ ...v, expiresAt: v.exp, slackUserId: body.user.id, requestId }, queueTells)
        // Bolt's error handler no longer sees it: whatever throws is an answer on the card.
        .catch((e: unknown): Outcome => {
          deps.log.error({ err: e, requestId }, 'confirmation card click failed unexpectedly');
          return { ok: false, error: new CloseError('internal', { reason: 'card click failed' }) };
        });
      if ('cancelled' in result) return void (await answer({ text: cancelledText(v.n) }, true));
      // Told by the queue already (with its own fallback), settle sends nothing; else the answer is ours.
      await reply.settle(result).catch(fallBack(outcomeMessage(result, { ...ctx, requestId })));
    };
    deps.detach(decided(), v.n);
  };

/** "Open in D3" is a link: Slack opens it; the click still arrives and only needs its ack. */
export const linkOpened = async ({ ack }: Args<ButtonAction>): Promise<void> => {
  await ack();
};
