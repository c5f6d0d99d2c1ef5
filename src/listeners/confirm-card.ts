import type { RespondFn } from '@slack/bolt';
import type { CloseRequest } from '../domain/close-incident.ts';
import { errorMessage } from '../slack/render/messages.ts';
import { confirmCard, incidentUrl } from '../slack/render/preview.ts';
import type { ListenerDeps } from './deps.ts';

/** CONFIRM_BEFORE_CLOSE: the command answers with a preview card; its Close button alone closes. */
export async function sendConfirmCard(deps: ListenerDeps, req: CloseRequest, respond: RespondFn): Promise<void> {
  const ctx = { incidentNumber: req.incidentNumber, supportContact: deps.supportContact };
  const prepared = await deps.confirm.prepare(req);
  if (!prepared.ok) return void (await respond({ text: errorMessage(prepared.error, ctx) }));
  const base = { id: prepared.id, n: req.incidentNumber, user: req.slackUserId, exp: prepared.expiresAt };
  const card = confirmCard({
    line: prepared.line,
    note: prepared.note,
    disposition: prepared.disposition,
    closeValue: deps.buttons.seal({ ...base, action: 'close' }),
    cancelValue: deps.buttons.seal({ ...base, action: 'cancel' }),
    url: incidentUrl(deps.incidentUrlTemplate, req.incidentNumber),
  });
  await respond({ response_type: 'ephemeral', ...card });
}
