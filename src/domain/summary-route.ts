/**
 * Where a closure summary goes (issue 8 part 5): the incident's own channel when it exists and the bot
 * is in it, wherever the close was typed; else the channel (and thread) it came from. A feed channel
 * (SUMMARY_FEED_CHANNEL_ID) gets a copy of every summary. Pure but for the channel directory port.
 */

/** What the channel directory knows of a channel name; `unknown` when it could not ask Slack. */
export type ChannelFind = { found: true; id: string; member: boolean } | { found: false } | { unknown: true };

/** Channel name → id (conversations.list, cached); implemented by slack/channels.ts. */
export interface ChannelDirectory {
  find(name: string): Promise<ChannelFind>;
}

export interface RouteRules {
  /** INCIDENT_CHANNEL_TEMPLATE, e.g. `inc-{number}`. */
  incidentChannelTemplate?: string;
  /** SUMMARY_FEED_CHANNEL_ID. */
  feedChannelId?: string;
  /** SUMMARY_REPLY_BROADCAST: a threaded summary is also shown in the channel. */
  replyBroadcast: boolean;
}

/** Why the summary went where it went, for the analyst's reply. */
export type RouteReason =
  | { kind: 'origin' }
  | { kind: 'incident_channel'; name: string }
  /** The incident channel exists but the bot is not in it (or Slack said not_in_channel). */
  | { kind: 'not_in_incident_channel'; name: string; id: string }
  /** The directory could not say whether the incident channel exists. */
  | { kind: 'incident_channel_unknown'; name: string };

export interface SummaryTarget {
  channelId: string;
  threadTs?: string;
  replyBroadcast?: boolean;
}

export interface Route {
  primary: SummaryTarget;
  reason: RouteReason;
  feed?: SummaryTarget;
}

/** Slack channel names: lower case, at most 80 characters of letters, digits, `-` and `_`. */
const NAME_MAX = 80;

/** The incident's channel name from the template, under Slack's naming rules; undefined without a template. */
export function incidentChannelName(template: string | undefined, incidentNumber: string): string | undefined {
  if (!template?.includes('{number}')) return undefined;
  const name = template
    .split('{number}')
    .join(incidentNumber)
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .slice(0, NAME_MAX);
  return name.replace(/^-+|-+$/g, '') || undefined;
}

/** Decides the summary's destination for one incident closed from `origin` (a channel, maybe a thread). */
export async function routeSummary(
  incidentNumber: string,
  origin: { channelId: string; threadTs?: string },
  rules: RouteRules,
  directory: ChannelDirectory,
): Promise<Route> {
  const originTarget: SummaryTarget = origin.threadTs
    ? { channelId: origin.channelId, threadTs: origin.threadTs, replyBroadcast: rules.replyBroadcast }
    : { channelId: origin.channelId };
  const feed =
    rules.feedChannelId && rules.feedChannelId !== origin.channelId ? { channelId: rules.feedChannelId } : undefined;
  const withFeed = (r: Omit<Route, 'feed'>): Route => {
    const copy = feed && feed.channelId !== r.primary.channelId ? feed : undefined;
    return copy ? { ...r, feed: copy } : r;
  };
  const name = incidentChannelName(rules.incidentChannelTemplate, incidentNumber);
  if (!name) return withFeed({ primary: originTarget, reason: { kind: 'origin' } });
  const found = await directory.find(name).catch((): ChannelFind => ({ unknown: true }));
  if ('unknown' in found)
    return withFeed({ primary: originTarget, reason: { kind: 'incident_channel_unknown', name } });
  if (!found.found) return withFeed({ primary: originTarget, reason: { kind: 'origin' } });
  if (!found.member)
    return withFeed({ primary: originTarget, reason: { kind: 'not_in_incident_channel', name, id: found.id } });
  // Already in the incident channel: keep the thread the close came from.
  if (found.id === origin.channelId)
    return withFeed({ primary: originTarget, reason: { kind: 'incident_channel', name } });
  return withFeed({ primary: { channelId: found.id }, reason: { kind: 'incident_channel', name } });
}
