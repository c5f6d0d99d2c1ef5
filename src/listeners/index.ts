import type { App } from '@slack/bolt';
import { ids } from '../ids.ts';
import { closeCommand } from './close-command.ts';
import { closeModalSubmit } from './close-modal.ts';
import type { ListenerDeps } from './deps.ts';

export function registerListeners(app: App, deps: ListenerDeps): void {
  app.command(ids.command, closeCommand(deps));
  app.view(ids.closeModal, closeModalSubmit(deps));
}
