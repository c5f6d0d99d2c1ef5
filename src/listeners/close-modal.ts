import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { CloseError } from '../domain/errors.ts';
import { inputProblems } from '../domain/policy.ts';
import { ids } from '../ids.ts';
import { readCloseModal } from '../slack/read-modal.ts';
import { chooseChannelText } from '../slack/render/home.ts';
import { fieldErrorText } from '../slack/render/messages.ts';
import { outcomeMessage } from '../slack/render/outcome.ts';
import { untilAcknowledged } from './after-ack.ts';
import { bulkFromModal } from './bulk-close.ts';
import type { ListenerDeps } from './deps.ts';
import { viewOrigin, viewSubject } from './origin.ts';
import { replyOnce } from './reply-once.ts';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/** The modal's submission: inline field errors, else close exactly as the command does. */
export const closeModalSubmit =
  (deps: ListenerDeps) =>
  async ({ ack, view, body }: Args): Promise<void> => {
    const { incidentNumber, note, pickedChannel, disposition } = readCloseModal(view);
    const inline = (e: CloseError) =>
      ack({ response_action: 'errors', errors: { [ids.incidentBlock]: fieldErrorText(e.code) } });
    if (await deps.refusedOutsider(viewOrigin(body), viewSubject(body, incidentNumber, note), inline)) return;
    const meta = deps.metadata.open(view.private_metadata);
    // From App Home the summary's channel is the one picked, else the feed's (homeChannel).
    const channelId = pickedChannel ?? meta?.channel ?? (meta?.home ? deps.homeChannel : undefined);
    // Several numbers (one per line, or commas): a bulk close (bulk-close.ts).
    if (meta && channelId && /[\n,]/.test(incidentNumber)) {
      const where = { channelId, ...(meta.threadTs && { threadTs: meta.threadTs }) };
      return bulkFromModal(deps, { ack, view, body, where, incidentNumber, note, disposition });
    }
    const problems = inputProblems(incidentNumber, note, deps.rules);
    if (!meta || problems.incident || problems.note || !channelId) {
      const errors: Record<string, string> = {};
      if (!meta) errors[ids.incidentBlock] = fieldErrorText('bad_metadata');
      else if (!channelId) errors[ids.channelBlock] = chooseChannelText;
      else if (problems.incident) errors[ids.incidentBlock] = fieldErrorText(problems.incident.code);
      if (problems.note) errors[ids.noteBlock] = fieldErrorText(problems.note.code);
      return ack({ response_action: 'errors', errors });
    }
    // As a typed command: refused in the acknowledgement when D3's queue is full (the form stays open with
    // what was typed, the reason under the number), else the form closes once the close is stored (close-queue.ts).
    const reply = replyOnce(async (o) => {
      await deps.notifyUser(
        channelId,
        body.user.id,
        outcomeMessage(o, { incidentNumber, supportContact: deps.supportContact }),
      );
    });
    const req = {
      requestId: deps.newRequestId(),
      dedupeKey: `view:${view.id}`,
      slackUserId: body.user.id,
      slackTeamId: body.team?.id ?? body.user.team_id,
      channelId,
      ...(meta.threadTs && { threadTs: meta.threadTs }),
      incidentNumber,
      note,
      disposition,
      tell: reply.tell,
    };
    return untilAcknowledged(deps, incidentNumber, async (acknowledged) => {
      const outcome = await deps.acceptClose(req, async (refusal) => {
        await (refusal ? inline(refusal) : ack());
        acknowledged();
      });
      await reply.settle(outcome);
      if (meta.home) await deps.publishHome(body.user.id);
    });
  };
