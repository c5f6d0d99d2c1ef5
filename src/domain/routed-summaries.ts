import type { SummaryDeliverer } from './summaries.ts';
import { type ChannelDirectory, type RouteRules, routeSummary, type SummaryTarget } from './summary-route.ts';
import type { PendingSummary, SummaryDelivery } from './types.ts';

const at = (p: PendingSummary, t: SummaryTarget, id = p.id): PendingSummary => {
  const { threadTs: _t, replyBroadcast: _b, ...rest } = p;
  return {
    ...rest,
    id,
    channelId: t.channelId,
    ...(t.threadTs && { threadTs: t.threadTs }),
    ...(t.replyBroadcast && { replyBroadcast: true }),
  };
};

/**
 * Summary delivery through the route (summary-route.ts): each destination is an outbox entry of its
 * own (the feed copy's id is the closure's plus `.feed`), so each is posted once and never lost, as a
 * single summary is. Slack's not_in_channel in the incident channel (the directory's membership was
 * stale) falls back to where the close came from, as a new entry, and says so.
 */
export function createRoutedSummaries(
  inner: SummaryDeliverer,
  rules: RouteRules,
  directory: ChannelDirectory,
): SummaryDeliverer {
  return {
    ...inner,
    async deliver(p: PendingSummary): Promise<SummaryDelivery> {
      const origin = { channelId: p.channelId, ...(p.threadTs && { threadTs: p.threadTs }) };
      // A list of several incidents has no one incident channel: where it was asked (and the feed).
      const only = p.items && p.items.length > 1 ? { ...rules, incidentChannelTemplate: undefined } : rules;
      const route = await routeSummary(p.closure.incidentNumber, origin, only, directory);
      const [first, feed] = await Promise.all([
        inner.deliver(at(p, route.primary)),
        route.feed ? inner.deliver(at(p, route.feed, `${p.id}.feed`)) : undefined,
      ]);
      let delivery = first;
      let reason = route.reason;
      const movedAway = route.primary.channelId !== p.channelId;
      if (movedAway && first.status === 'not_posted' && first.slackError === 'not_in_channel') {
        reason = {
          kind: 'not_in_incident_channel',
          name: reason.kind === 'origin' ? '' : reason.name,
          id: first.channelId,
        };
        const back: SummaryTarget = p.threadTs
          ? { channelId: p.channelId, threadTs: p.threadTs, replyBroadcast: rules.replyBroadcast }
          : { channelId: p.channelId };
        delivery = await inner.deliver(at(p, back, `${p.id}.origin`));
      }
      const threadTs = delivery.channelId === p.channelId ? p.threadTs : undefined;
      return { ...delivery, route: reason, ...(threadTs && { threadTs }), ...(feed && { feed }) };
    },
  };
}
