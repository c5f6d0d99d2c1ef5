import type {
  AllMiddlewareArgs,
  BlockButtonAction,
  SlackActionMiddlewareArgs,
  SlackEventMiddlewareArgs,
} from '@slack/bolt';
import { CloseError } from '../domain/errors.ts';
import { channelPicker } from '../slack/render/home.ts';
import { errorMessage } from '../slack/render/messages.ts';
import { closeModal } from '../slack/render/modal.ts';
import type { ListenerDeps } from './deps.ts';

/** The Home tab opened: publish the analyst's identity, recent closes and the close button. */
export const appHomeOpened =
  (deps: ListenerDeps) =>
  async ({ event }: SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs): Promise<void> => {
    if (event.tab !== 'home') return;
    await deps.publishHome(event.user);
  };

/** "Close an incident" on the Home tab: the close form, with a channel picker (Home has no channel). */
export const homeCloseButton =
  (deps: ListenerDeps) =>
  async ({ ack, body, client }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const privateMetadata = deps.metadata.seal({ home: true });
    if (!privateMetadata) throw new Error(errorMessage(new CloseError('bad_metadata'), deps));
    const view = closeModal({
      noteRequired: deps.rules.noteRequired,
      dispositions: deps.dispositions.list,
      dispositionRequired: deps.dispositions.required,
      privateMetadata,
      // Without a feed channel the close has nowhere to announce but the incident channel (if it exists).
      extraBlocks: [channelPicker(!deps.homeChannel)],
    });
    await client.views.open({ trigger_id: body.trigger_id, view });
  };
