/** Where the closure summary went and why (domain/summary-route.ts), for the analyst's reply. */
import type { SummaryDelivery } from '../../domain/types.ts';
import { channelMention, safeUserText } from './escape.ts';

/** A sentence or two after the outcome: the incident channel, the thread, the fallback, the feed copy. */
export function routeWords(d: SummaryDelivery | undefined): string {
  if (!d) return '';
  const parts: string[] = [];
  const r = d.route;
  if (d.status === 'posted' && r?.kind === 'incident_channel') parts.push('That is the incident’s own channel.');
  if (d.status === 'posted' && d.threadTs) parts.push('It is a reply in the thread of the message you used.');
  if (r?.kind === 'not_in_incident_channel')
    parts.push(
      `The incident has its own channel, ${channelMention(r.id)}, but the bot is not a member, so the summary went to the channel you closed from. Invite the bot there (/invite) to have summaries posted in it.`,
    );
  if (r?.kind === 'incident_channel_unknown')
    parts.push(
      `The bot could not check whether #${safeUserText(r.name)} exists (Slack did not answer), so the summary went to the channel you closed from.`,
    );
  const f = d.feed;
  if (f?.status === 'posted' || f?.status === 'handled_elsewhere')
    parts.push(`A copy is in ${channelMention(f.channelId)}.`);
  else if (f?.status === 'not_posted')
    parts.push(
      f.willRetry
        ? `The copy for ${channelMention(f.channelId)} is not posted yet; the bot will retry it.`
        : `The copy for ${channelMention(f.channelId)} could not be posted (${safeUserText(f.slackError)}).`,
    );
  return parts.join(' ');
}
