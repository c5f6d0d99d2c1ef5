import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { parseIncidentList } from '../domain/command-text.ts';
import type { CloseError } from '../domain/errors.ts';
import { inputProblems } from '../domain/policy.ts';
import { ids } from '../ids.ts';
import { readCloseModal } from '../slack/read-modal.ts';
import { listFieldError } from '../slack/render/bulk.ts';
import { fieldErrorText } from '../slack/render/messages.ts';
import { outcomeMessage } from '../slack/render/outcome.ts';
import { bulkFromModal } from './bulk-close.ts';
import type { ListenerDeps } from './deps.ts';
import { viewOrigin, viewSubject } from './origin.ts';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/** The modal's submission: inline field errors, else close exactly as the command does. */
export const closeModalSubmit =
  (deps: ListenerDeps) =>
  async ({ ack, view, body }: Args): Promise<void> => {
    const { incidentNumber, note } = readCloseModal(view);
    const inline = (e: CloseError) =>
      ack({ response_action: 'errors', errors: { [ids.incidentBlock]: fieldErrorText(e.code) } });
    if (await deps.refusedOutsider(viewOrigin(body), viewSubject(body, incidentNumber, note), inline)) return;
    const meta = deps.metadata.open(view.private_metadata);
    const list = parseIncidentList(incidentNumber);
    if (meta && /[\n,]/.test(incidentNumber)) {
      const listError = listFieldError(list, deps.bulkMax);
      const noteError = inputProblems(list.numbers[0] ?? '', note, deps.rules).note;
      if (listError || noteError) {
        const errors: Record<string, string> = {};
        if (listError) errors[ids.incidentBlock] = listError;
        if (noteError) errors[ids.noteBlock] = fieldErrorText(noteError.code);
        return ack({ response_action: 'errors', errors });
      }
      await ack();
      const slackTeamId = body.team?.id ?? body.user.team_id;
      const who = { channelId: meta.channel, slackUserId: body.user.id, slackTeamId, viewId: view.id };
      return bulkFromModal(deps, { ...who, incidentNumbers: list.numbers, note });
    }
    const problems = inputProblems(incidentNumber, note, deps.rules);
    if (!meta || problems.incident || problems.note) {
      const errors: Record<string, string> = {};
      if (!meta) errors[ids.incidentBlock] = fieldErrorText('bad_metadata');
      else if (problems.incident) errors[ids.incidentBlock] = fieldErrorText(problems.incident.code);
      if (problems.note) errors[ids.noteBlock] = fieldErrorText(problems.note.code);
      return ack({ response_action: 'errors', errors });
    }
    await ack();
    const outcome = await deps.closeIncident({
      requestId: deps.newRequestId(),
      dedupeKey: `view:${view.id}`,
      slackUserId: body.user.id,
      slackTeamId: body.team?.id ?? body.user.team_id,
      channelId: meta.channel,
      incidentNumber,
      note,
    });
    const msg = outcomeMessage(outcome, { incidentNumber, supportContact: deps.supportContact });
    await deps.notifyUser(meta.channel, body.user.id, msg);
  };
