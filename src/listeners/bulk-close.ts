import type {
  AllMiddlewareArgs,
  RespondFn,
  SlackViewMiddlewareArgs,
  SlashCommand,
  ViewOutput,
  ViewSubmitAction,
} from '@slack/bolt';
import type { BulkItem } from '../domain/bulk-items.ts';
import { throttle, withFirstAnswer } from '../domain/bulk-items.ts';
import { parseIncidentList } from '../domain/command-text.ts';
import { STORE_BEFORE_ACK_MS } from '../domain/limits.ts';
import { inputProblems } from '../domain/policy.ts';
import { ids } from '../ids.ts';
import { bulkFirstAnswer, bulkResultList, listFieldError } from '../slack/render/bulk.ts';
import { errorMessage, fieldErrorText } from '../slack/render/messages.ts';
import type { ListenerDeps } from './deps.ts';
import { commandCloseFields } from './origin.ts';

/** Progress updates: at most one a second and three in all, so the final list fits response_url's five uses. */
const PROGRESS_INTERVAL_MS = 1000;
const PROGRESS_MAX = 3;

type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/**
 * `/close-incident 23,24,31 note`: acknowledged with "Closing N incidents…" once the list is taken (a
 * redelivered one is acknowledged "already received" instead, and that is all), then one result list that
 * replaces itself in place (response_url, replace_original) as results arrive, and the final list.
 */
export async function bulkFromCommand(
  deps: ListenerDeps,
  input: { incidentNumbers: string[]; note: string },
  command: SlashCommand,
  ack: (text?: string) => Promise<void>,
  respond: RespondFn,
): Promise<void> {
  const ctx = { supportContact: deps.supportContact };
  const progress = throttle(
    (items: readonly BulkItem[]) =>
      respond({ ...bulkResultList(items, { final: false, ...ctx }), replace_original: true }).then(() => {}),
    PROGRESS_INTERVAL_MS,
    PROGRESS_MAX,
  );
  const req = { ...input, ...commandCloseFields(command, deps.newRequestId()) };
  const outcome = await deps.acceptBulkClose(
    req,
    (first) => ack(bulkFirstAnswer(first, { ...ctx, requestId: req.requestId })),
    (items) => progress.push(items),
  );
  await progress.stop();
  if (!outcome) return;
  const final = outcome.ok
    ? bulkResultList(outcome.items, { final: true, delivery: outcome.delivery, ...ctx })
    : { text: errorMessage(outcome.error, { ...ctx, requestId: req.requestId }) };
  // Redelivered whole, told "Closing…" by the fallback before the store said so: the correction is a
  // message of its own. Its response_url is the first delivery's, whose last message there is that
  // delivery's result list, which "already received… shown separately" points to: replacing it loses it.
  const redelivered = !outcome.ok && outcome.error.code === 'duplicate_request';
  await respond({ ...final, replace_original: !redelivered });
}

/**
 * The modal with several numbers (one per line). A bad line or note is shown in place and nothing is
 * closed. A view submission has no response_url (that needs a conversation select in the modal) and an
 * ephemeral message cannot be edited, so the analyst gets "Closing N incidents…" as soon as the list is
 * taken, before D3 is asked (a redelivered list gets only "already received"), and the full list when
 * every result is in.
 */
export async function bulkFromModal(
  deps: ListenerDeps,
  s: {
    ack: ViewArgs['ack'];
    view: ViewOutput;
    body: ViewSubmitAction;
    /** Where the summary goes: the form's channel (or Home's pick) and the alert's thread. */
    where: { channelId: string; threadTs?: string };
    incidentNumber: string;
    note: string;
    disposition?: string;
  },
): Promise<void> {
  const list = parseIncidentList(s.incidentNumber);
  const listError = listFieldError(list, deps.bulkMax);
  const noteError = inputProblems(list.numbers[0] ?? '', s.note, deps.rules).note;
  if (listError || noteError) {
    const errors: Record<string, string> = {};
    if (listError) errors[ids.incidentBlock] = listError;
    if (noteError) errors[ids.noteBlock] = fieldErrorText(noteError.code);
    return s.ack({ response_action: 'errors', errors });
  }
  await s.ack();
  const { channelId } = s.where;
  const slackUserId = s.body.user.id;
  const requestId = deps.newRequestId();
  const ctx = { supportContact: deps.supportContact, requestId };
  const req = {
    requestId,
    dedupeKey: `view:${s.view.id}`,
    slackUserId,
    slackTeamId: s.body.team?.id ?? s.body.user.team_id,
    channelId,
    ...(s.where.threadTs && { threadTs: s.where.threadTs }),
    incidentNumbers: list.numbers,
    note: s.note,
    ...(s.disposition && { disposition: s.disposition }),
  };
  // The form is acknowledged: a first answer Slack refuses (ephemeral and DM) does not stop the list.
  const { outcome, answered } = await withFirstAnswer(
    (taken) => deps.bulkClose({ ...req, taken }),
    (first) => deps.notifyUser(channelId, slackUserId, { text: bulkFirstAnswer(first, ctx) }),
    { count: list.numbers.length, waitMs: STORE_BEFORE_ACK_MS, log: deps.log.child({ requestId }) },
  );
  // Refused whole before it was taken: that refusal was the whole answer.
  if (answered === 'refused') return;
  const final = outcome.ok
    ? bulkResultList(outcome.items, { final: true, delivery: outcome.delivery, ...ctx })
    : { text: errorMessage(outcome.error, ctx) };
  await deps.notifyUser(channelId, slackUserId, final);
}
