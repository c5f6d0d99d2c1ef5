import type { AllMiddlewareArgs, RespondFn, SlackCommandMiddlewareArgs, SlashCommand } from '@slack/bolt';
import { parseCommandText } from '../domain/command-text.ts';
import { CloseError } from '../domain/errors.ts';
import { ids } from '../ids.ts';
import type { Ack } from '../slack/dispatch.ts';
import type { EarlyAnswer } from '../slack/http-receiver.ts';
import { historyMessage } from '../slack/render/history.ts';
import { errorMessage } from '../slack/render/messages.ts';
import { closeModal } from '../slack/render/modal.ts';
import { outcomeMessage } from '../slack/render/outcome.ts';
import { closingNotice, helpMessage, whoamiMessage } from '../slack/render/replies.ts';
import { untilAcknowledged } from './after-ack.ts';
import { bulkFromCommand } from './bulk-close.ts';
import { sendConfirmCard } from './confirm-card.ts';
import type { ListenerDeps } from './deps.ts';
import { mapCommand } from './map-command.ts';
import { commandCloseFields, commandOrigin, commandSubject } from './origin.ts';
import { replyOnce } from './reply-once.ts';

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/** /close-incident: help | whoami | history | map | unmap | open the modal | close now. */
export const closeCommand =
  (deps: ListenerDeps) =>
  async ({ command, ack, respond, client }: Args): Promise<void> => {
    const input = parseCommandText(command.text ?? '', { noteRequired: deps.rules.noteRequired });
    const refuse = (e: CloseError) => ack(errorMessage(e, deps));
    if (await deps.refusedOutsider(commandOrigin(command), commandSubject(command, input), refuse)) return;
    const isAdmin = deps.rules.adminUserIds.includes(command.user_id);
    switch (input.kind) {
      case 'help':
        return ack(helpMessage({ noteRequired: deps.rules.noteRequired, isAdmin }));
      case 'invalid':
        return ack(helpMessage({ noteRequired: deps.rules.noteRequired, isAdmin, problem: input.reason }));
      case 'modal':
      case 'bulk': {
        // CONFIRM_BEFORE_CLOSE: a list is not closed from the command; the form opens pre-filled and its submit confirms.
        if (input.kind === 'bulk' && !deps.confirmBeforeClose)
          return bulkFromCommand(deps, input, command, ack, respond);
        const privateMetadata = deps.metadata.seal({ channel: command.channel_id });
        if (!privateMetadata) return ack(errorMessage(new CloseError('bad_metadata'), deps));
        await ack();
        const { list: dispositions, required: dispositionRequired } = deps.dispositions;
        const view = closeModal({
          ...(input.kind === 'bulk' ? { numbers: input.incidentNumbers, note: input.note } : input),
          noteRequired: deps.rules.noteRequired,
          privateMetadata,
          dispositions,
          dispositionRequired,
        });
        await client.views.open({ trigger_id: command.trigger_id, view });
        return;
      }
      case 'whoami':
        await ack();
        return void (await respond(whoamiMessage(await deps.mapping.whoami(command.user_id), deps)));
      case 'history': {
        await ack();
        const { incidentNumber } = input;
        const result = await deps.history({
          requestId: deps.newRequestId(),
          slackUserId: command.user_id,
          slackTeamId: command.team_id,
          channelId: command.channel_id,
          incidentNumber,
        });
        // A refusal reads exactly as a close's would (policy.decideRead is decideClose's access check).
        const ctx = { incidentNumber, supportContact: deps.supportContact };
        return void (await respond(
          result.ok ? historyMessage(incidentNumber, result.records) : outcomeMessage(result, ctx),
        ));
      }
      case 'map':
      case 'unmap':
        return mapCommand(deps, input, command.user_id, ack, respond);
      case 'close': {
        if (deps.confirmBeforeClose) {
          await ack();
          return sendConfirmCard(deps, closeRequest(deps, input, command), respond);
        }
        return closeNow(deps, input, command, ack, respond);
      }
    }
  };

type CloseInput = Extract<ReturnType<typeof parseCommandText>, { kind: 'close' }>;

const closeRequest = (deps: ListenerDeps, input: CloseInput, command: SlashCommand) => ({
  ...input,
  ...commandCloseFields(command, deps.newRequestId()),
  responseUrl: command.response_url,
});

/**
 * A close typed in the command: acknowledged "Closing …" once stored (or with its refusal), and the
 * outcome then takes the place of that acknowledgement instead of adding a second message. Resolves
 * once Slack has its answer; the close goes on (after-ack.ts). The listener above and the receiver's
 * early answer (earlyCloseAnswer) both run it.
 */
function closeNow(
  deps: ListenerDeps,
  input: CloseInput,
  command: SlashCommand,
  ack: (reply: string) => Promise<void>,
  respond: RespondFn,
): Promise<void> {
  const req = closeRequest(deps, input, command);
  const ctx = { incidentNumber: input.incidentNumber, supportContact: deps.supportContact };
  const reply = replyOnce((o) => respond({ ...outcomeMessage(o, ctx), replace_original: true }));
  return untilAcknowledged(deps, input.incidentNumber, async (acknowledged) => {
    const outcome = await deps.acceptClose({ ...req, tell: reply.tell }, async (refusal) => {
      await ack(refusal ? errorMessage(refusal, ctx) : closingNotice(input.incidentNumber));
      acknowledged();
    });
    await reply.settle(outcome);
  });
}

/**
 * The HTTP receiver's early answer (slack/http-receiver.ts `earlyAnswer`) for a plain close typed in
 * the command: it is run here, before Bolt, through the same closeNow as the listener, and a close typed
 * while D3's queue is full gets its refusal at once. Bolt's work per event (every listener's middleware
 * chain, its promises and arguments) cost more CPU and garbage than the close's own acknowledgement,
 * and under load that garbage set the ack's p99 (npm run bench, 500 req/s). The answer and the audit
 * are the listener's own (acceptClose decides the same way, domain/accept-close.ts); anything else
 * (another request, a list, an outsider, the confirmation card) goes on to Bolt and the listener above.
 */
export const earlyCloseAnswer =
  (
    deps: ListenerDeps,
    respondTo: (responseUrl: string) => RespondFn,
    unexpected: (error: unknown, body: SlashCommand) => Promise<void>,
  ) =>
  (command: SlashCommand): EarlyAnswer | undefined => {
    if (command.command !== ids.command || deps.confirmBeforeClose) return undefined;
    const input = parseCommandText(command.text ?? '', { noteRequired: deps.rules.noteRequired });
    if (input.kind !== 'close' || deps.isOutsider(commandOrigin(command))) return undefined;
    const busy = deps.refuseWhenBusy({
      requestId: deps.newRequestId(),
      incidentNumber: input.incidentNumber,
      note: input.note,
      slackUserId: command.user_id,
      slackTeamId: command.team_id,
    });
    if (!busy) {
      // A failure before the ack gets Bolt's error handler's message (app.ts reportUnexpected), then an
      // empty acknowledgement. Through Bolt the ack would be our receiver's 404 (no listener acked),
      // which Slack shows as a failed command beside that message; the empty one adds nothing to it.
      const run = (ack: Ack) =>
        closeNow(deps, input, command, ack, respondTo(command.response_url)).catch(async (e) => {
          await unexpected(e, command);
          await ack();
        });
      return { run };
    }
    // Audited once the answer is sent: the receiver sends it synchronously, before this microtask runs.
    deps.detach(Promise.resolve().then(busy.record), input.incidentNumber);
    const ctx = { incidentNumber: input.incidentNumber, supportContact: deps.supportContact };
    return { answer: errorMessage(busy.refusal, ctx) };
  };
