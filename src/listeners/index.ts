import type { App, BlockButtonAction } from '@slack/bolt';
import { ids } from '../ids.ts';
import { appHomeOpened, homeCloseButton } from './app-home.ts';
import { confirmClicked, incidentTyped, linkOpened } from './block-actions.ts';
import { closeCommand } from './close-command.ts';
import { closeModalSubmit } from './close-modal.ts';
import type { ListenerDeps } from './deps.ts';
import { messageShortcut } from './message-shortcut.ts';

export function registerListeners(app: App, deps: ListenerDeps): void {
  app.command(ids.command, closeCommand(deps));
  app.view(ids.closeModal, closeModalSubmit(deps));
  app.shortcut({ callback_id: ids.messageShortcut, type: 'message_action' }, messageShortcut(deps));
  app.event('app_home_opened', appHomeOpened(deps));
  app.action<BlockButtonAction>(ids.homeCloseButton, homeCloseButton(deps));
  app.action(ids.incidentInput, incidentTyped(deps));
  app.action(ids.confirmClose, confirmClicked(deps));
  app.action(ids.cancelClose, confirmClicked(deps));
  app.action(ids.openInD3, linkOpened);
}
