import type { Config } from '../config.ts';
import type { Log } from '../log.ts';
import { createQueuedReply } from '../slack/queued-reply.ts';
import { slackCallTimeoutMs, timedFetch } from '../slack/timed-fetch.ts';
import type { Edges } from './edges.ts';

/** How a taken-over close's outcome reaches the analyst: response_url (bounded like every Slack call), else a DM. */
export const queuedReply = (config: Config, edges: Edges, log: Log) =>
  createQueuedReply(edges.web, { fetch: timedFetch(slackCallTimeoutMs), log, supportContact: config.supportContact });
