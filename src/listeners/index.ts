import type { App, BlockButtonAction } from '@slack/bolt';
import { ids } from '../ids.ts';
import { appHomeOpened, homeCloseButton } from './app-home.ts';
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
}
