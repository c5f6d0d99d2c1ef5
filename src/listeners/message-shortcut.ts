import type { AllMiddlewareArgs, MessageShortcut, SlackShortcutMiddlewareArgs } from '@slack/bolt';
import { CloseError } from '../domain/errors.ts';
import { errorMessage } from '../slack/render/messages.ts';
import { closeModal } from '../slack/render/modal.ts';
import { noNumberFoundHint, noteFromMessage, severalNumbersHint } from '../slack/render/shortcut.ts';
import type { ListenerDeps } from './deps.ts';

type Args = SlackShortcutMiddlewareArgs<MessageShortcut> & AllMiddlewareArgs;

/**
 * "Close incident" on a message: the close form, pre-filled with the incident numbers the message
 * names and a link to it; the summary becomes a reply in the message's thread (sealed in the metadata).
 */
export const messageShortcut =
  (deps: ListenerDeps) =>
  async ({ shortcut, ack, respond, client }: Args): Promise<void> => {
    await ack();
    const origin = { teamIds: [shortcut.team?.id, shortcut.user.team_id], enterpriseIds: [shortcut.enterprise?.id] };
    const subject = { slackUserId: shortcut.user.id, slackTeamId: shortcut.team?.id, incidentNumber: '', note: '' };
    const refuse = async (e: CloseError) => void (await respond({ text: errorMessage(e, deps) }));
    if (await deps.refusedOutsider(origin, { ...subject, action: 'modal' }, refuse)) return;
    const threadTs = shortcut.message.thread_ts ?? shortcut.message.ts;
    const privateMetadata = deps.metadata.seal({ channel: shortcut.channel.id, threadTs });
    if (!privateMetadata) return refuse(new CloseError('bad_metadata'));
    const numbers = deps.findIncidentNumbers(shortcut.message);
    const link = await deps.permalink(shortcut.channel.id, shortcut.message.ts);
    const view = closeModal({
      numbers,
      ...(numbers.length === 0 && { incidentHint: noNumberFoundHint }),
      ...(numbers.length > 1 && { incidentHint: severalNumbersHint }),
      note: noteFromMessage(link),
      noteRequired: deps.rules.noteRequired,
      dispositions: deps.dispositions.list,
      dispositionRequired: deps.dispositions.required,
      privateMetadata,
    });
    await client.views.open({ trigger_id: shortcut.trigger_id, view });
  };
