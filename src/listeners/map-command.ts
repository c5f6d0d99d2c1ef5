import type { AckFn, RespondArguments, RespondFn } from '@slack/bolt';
import type { ParsedCommand } from '../domain/command-text.ts';
import { errorMessage } from '../slack/render/messages.ts';
import { mappingChangedMessage } from '../slack/render/replies.ts';
import type { ListenerDeps } from './deps.ts';

/** `map @user <d3-username> [site]` and `unmap @user`, for SLACK_ADMIN_USER_IDS only. */
export async function mapCommand(
  deps: ListenerDeps,
  input: Extract<ParsedCommand, { kind: 'map' | 'unmap' }>,
  actor: string,
  ack: AckFn<string | RespondArguments>,
  respond: RespondFn,
): Promise<void> {
  await ack();
  const result =
    input.kind === 'map'
      ? await deps.mapping.map(actor, input.slackUserId, input.username, input.site)
      : await deps.mapping.unmap(actor, input.slackUserId);
  if (!result.ok)
    return void (await respond({ text: errorMessage(result.error, { supportContact: deps.supportContact }) }));
  deps.log.info({ actor, target: input.slackUserId, kind: input.kind }, 'user map override changed');
  await respond(mappingChangedMessage(input));
}
