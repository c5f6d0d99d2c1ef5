import type { App } from '@slack/bolt';
import { ids } from '../ids.ts';
import { confirmClicked, incidentTyped, linkOpened } from './block-actions.ts';
import { closeCommand } from './close-command.ts';
import { closeModalSubmit } from './close-modal.ts';
import type { ListenerDeps } from './deps.ts';

export function registerListeners(app: App, deps: ListenerDeps): void {
  app.command(ids.command, closeCommand(deps));
  app.view(ids.closeModal, closeModalSubmit(deps));
  app.action(ids.incidentInput, incidentTyped(deps));
  app.action(ids.confirmClose, confirmClicked(deps));
  app.action(ids.cancelClose, confirmClicked(deps));
  app.action(ids.openInD3, linkOpened);
}
