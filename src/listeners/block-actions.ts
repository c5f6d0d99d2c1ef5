import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs, ViewOutput } from '@slack/bolt';
import { incidentNumberProblem } from '../domain/command-text.ts';
import { CloseError } from '../domain/errors.ts';
import type { Outcome } from '../domain/types.ts';
import { ids } from '../ids.ts';
import { errorMessage } from '../slack/render/messages.ts';
import { closeModal } from '../slack/render/modal.ts';
import { cancelledText } from '../slack/render/replies.ts';
import { cardReply, clickFailed } from './card-reply.ts';
import type { ListenerDeps } from './deps.ts';
import { actionOrigin } from './origin.ts';

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

/** Close or Cancel on a confirmation card: once, by its owner, within 10 minutes; else says why. */
export const confirmClicked =
  (deps: ListenerDeps) =>
  async ({ ack, body, action, respond }: Args<ButtonAction>): Promise<void> => {
    await ack();
    const v = deps.buttons.open(action.value);
    const ctx = { incidentNumber: v?.n, supportContact: deps.supportContact };
    const subject = { slackUserId: body.user.id, slackTeamId: body.team?.id, incidentNumber: v?.n ?? '', note: '' };
    const card = cardReply(deps, respond, { channelId: body.channel?.id ?? body.user.id, userId: body.user.id, ctx });
    if (await deps.refusedOutsider(actionOrigin(body), { ...subject, action: 'close' }, card.outsider)) return;
    if (!v || v.user !== body.user.id)
      return card.answer({ text: errorMessage(new CloseError('confirm_expired'), ctx) }, false);
    const requestId = deps.newRequestId();
    const outcome = card.outcome(requestId);
    // Acknowledged already: the close runs on without Bolt waiting for it (after-ack.ts says why).
    const decided = async () => {
      const result = await deps.confirm
        .decide({ ...v, expiresAt: v.exp, slackUserId: body.user.id, requestId }, outcome.tell)
        // Bolt's error handler no longer sees it: whatever throws is an answer on the card.
        .catch((e: unknown): Outcome => {
          deps.log.error({ err: e, requestId }, 'confirmation card click failed unexpectedly');
          return clickFailed();
        });
      if ('cancelled' in result) return card.answer({ text: cancelledText(v.n) }, true);
      // Told by the queue already (with its own fallback), settle sends nothing; else the answer is ours.
      await outcome.settle(result);
    };
    deps.detach(decided(), v.n);
  };

/** "Open in D3" is a link: Slack opens it; the click still arrives and only needs its ack. */
export const linkOpened = async ({ ack }: Args<ButtonAction>): Promise<void> => {
  await ack();
};
