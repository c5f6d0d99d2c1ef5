import type { AllMiddlewareArgs, App, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { ids } from '../ids.ts';
import { appHomeOpened, homeCloseButton } from './app-home.ts';
import { confirmClicked, incidentTyped, linkOpened } from './block-actions.ts';
import { closeCommand } from './close-command.ts';
import { closeModalSubmit } from './close-modal.ts';
import type { ListenerDeps } from './deps.ts';
import { messageShortcut } from './message-shortcut.ts';

type ActionArgs = SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs;

export function registerListeners(app: App, deps: ListenerDeps): void {
  app.command(ids.command, closeCommand(deps));
  app.view(ids.closeModal, closeModalSubmit(deps));
  app.shortcut({ callback_id: ids.messageShortcut, type: 'message_action' }, messageShortcut(deps));
  app.event('app_home_opened', appHomeOpened(deps));
  // One listener for every button and input of ours, routed by action_id: Bolt runs each event through
  // every listener's middleware chain, and the five it took before were most of the garbage of a
  // request that is none of theirs (npm run bench, help at 500 req/s: 213 scavenges and 10 major GCs
  // with nine listeners, 153 and 6 with two).
  const byActionId: Record<string, (args: ActionArgs) => Promise<void>> = {
    [ids.homeCloseButton]: homeCloseButton(deps) as (args: ActionArgs) => Promise<void>,
    [ids.incidentInput]: incidentTyped(deps),
    [ids.confirmClose]: confirmClicked(deps) as (args: ActionArgs) => Promise<void>,
    [ids.cancelClose]: confirmClicked(deps) as (args: ActionArgs) => Promise<void>,
    [ids.openInD3]: linkOpened as (args: ActionArgs) => Promise<void>,
  };
  const actionIds = new RegExp(`^(${Object.keys(byActionId).join('|')})$`);
  app.action<BlockAction>(actionIds, (args) => byActionId[args.action.action_id]?.(args as ActionArgs) ?? args.ack());
}
