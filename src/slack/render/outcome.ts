/** What the analyst is told after a close attempt: the closure, or the error, and where the summary went. */
import type { Outcome, SummaryDelivery } from '../../domain/types.ts';
import { channelMention, safeUserText } from './escape.ts';
import type { Reply } from './kit.ts';
import { errorMessage, type MessageContext } from './messages.ts';
import { routeWords } from './route-words.ts';

function notPostedReason(slackError: string): string {
  switch (slackError) {
    case 'not_in_channel':
      return 'the bot is not a member of that channel (invite it with /invite and the bot’s name)';
    case 'channel_not_found':
      return 'the bot cannot see that channel; it may be private, so invite the bot to it';
    case 'is_archived':
      return 'the channel is archived';
    case 'slack_unreadable_reply':
      return 'Slack’s answer could not be read, so the bot cannot tell whether it was posted';
    default:
      return `Slack refused the message (${safeUserText(slackError)})`;
  }
}

function deliveryWords(n: string, delivery: SummaryDelivery | undefined): string | undefined {
  if (!delivery) return undefined;
  const where = channelMention(delivery.channelId);
  if (delivery.status === 'posted') return `The summary is posted in ${where}.`;
  if (delivery.status === 'handled_elsewhere')
    return `Another instance of the bot took over the summary: it is posted in ${where}, or you will be told why not.`;
  if (delivery.slackError === 'claimed_elsewhere')
    return `D3 closed ${n}; another instance of the bot is posting the summary in ${where} right now (if that fails, it stays queued and is retried).`;
  const retry = !delivery.willRetry
    ? '; the bot will not retry it, so post the closure there yourself'
    : delivery.heldInMemory
      ? '. The bot could not save it either (its store is down), so it will keep trying only while it runs: if the summary does not appear, post the closure there yourself'
      : '; the bot will post it when Slack is reachable again';
  return `D3 closed ${n}, but the summary could not be posted in ${where}: ${notPostedReason(delivery.slackError)}${retry}.`;
}

/** What the analyst is told after a close attempt. */
export function outcomeMessage(outcome: Outcome, ctx: MessageContext): Reply {
  if (!outcome.ok) return { text: errorMessage(outcome.error, ctx) };
  const c = outcome.closure;
  const n = safeUserText(c.incidentNumber || ctx.incidentNumber || 'the incident');
  if (c.alreadyClosed) {
    const by = c.closedBy?.trim() ? ` by ${safeUserText(c.closedBy)}` : '';
    const on = c.closeDate?.trim() ? ` on ${safeUserText(c.closeDate)}` : '';
    const detail = by || on ? ` (${`${by}${on}`.trim()})` : '';
    return { text: `${n} was already closed in D3${detail} — nothing changed.` };
  }
  const where = routeWords(outcome.delivery);
  const delivery = [deliveryWords(n, outcome.delivery), where].filter(Boolean).join(' ') || undefined;
  if (outcome.delivery?.status === 'not_posted' && delivery) return { text: delivery };
  const actor = ctx.d3Username ?? outcome.d3Username ?? c.closedBy;
  const as = actor?.trim() ? ` as ${safeUserText(actor)}` : '';
  const site = c.site.trim() ? ` (${safeUserText(c.site)})` : '';
  return { text: `Closed ${n} in D3${as}${site}.${delivery ? ` ${delivery}` : ''}` };
}
