import type { RespondFn, SlashCommand } from '@slack/bolt';
import type { BulkItem } from '../domain/bulk-items.ts';
import { throttle } from '../domain/bulk-items.ts';
import { bulkClosingNotice, bulkResultList } from '../slack/render/bulk.ts';
import { errorMessage } from '../slack/render/messages.ts';
import type { ListenerDeps } from './deps.ts';

/** Progress updates: at most one a second and three in all, so the final list fits response_url's five uses. */
const PROGRESS_INTERVAL_MS = 1000;
const PROGRESS_MAX = 3;

/**
 * `/close-incident 23,24,31 note`: acknowledged with "Closing N incidents…", then one result list that
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
  const req = {
    ...input,
    requestId: deps.newRequestId(),
    dedupeKey: `command:${command.trigger_id}`,
    slackUserId: command.user_id,
    slackTeamId: command.team_id,
    channelId: command.channel_id,
  };
  const outcome = await deps.acceptBulkClose(
    req,
    (refusal) => ack(refusal ? errorMessage(refusal, ctx) : bulkClosingNotice(input.incidentNumbers.length)),
    (items) => progress.push(items),
  );
  await progress.stop();
  if (!outcome) return;
  const final = outcome.ok
    ? bulkResultList(outcome.items, { final: true, delivery: outcome.delivery, ...ctx })
    : { text: errorMessage(outcome.error, ctx) };
  await respond({ ...final, replace_original: true });
}

/**
 * The modal with several numbers (one per line). A view submission has no response_url (that needs a
 * conversation select in the modal), and an ephemeral message cannot be edited, so the analyst gets
 * "Closing N incidents…" at once and the full list when every result is in.
 */
export async function bulkFromModal(
  deps: ListenerDeps,
  req: {
    incidentNumbers: string[];
    note: string;
    channelId: string;
    slackUserId: string;
    slackTeamId?: string;
    viewId: string;
  },
): Promise<void> {
  const { viewId, ...rest } = req;
  const ctx = { supportContact: deps.supportContact };
  await deps.notifyUser(req.channelId, req.slackUserId, { text: bulkClosingNotice(req.incidentNumbers.length) });
  const outcome = await deps.bulkClose({ ...rest, requestId: deps.newRequestId(), dedupeKey: `view:${viewId}` });
  const final = outcome.ok
    ? bulkResultList(outcome.items, { final: true, delivery: outcome.delivery, ...ctx })
    : { text: errorMessage(outcome.error, ctx) };
  await deps.notifyUser(req.channelId, req.slackUserId, final);
}
