import { WebClient } from '@slack/web-api';
import type { Config } from '../config.ts';
import { createD3Client } from '../d3/client.ts';
import { connectFleetLimiter } from '../d3/fleet-limit.ts';
import { createD3Gateway } from '../d3/gateway.ts';
import { createRateLimiter } from '../d3/rate-limit.ts';
import { loadUserMap } from '../identity/user-map.ts';
import type { Log } from '../log.ts';
import { installationOf } from '../slack/organisation.ts';
import { incidentUrl } from '../slack/render/preview.ts';
import { requestFetch } from '../slack/request-fetch.ts';
import { createSummaryClient, createSummaryPost, historyLookupAllowed } from '../slack/summary-post.ts';
import { slackCallTimeoutMs } from '../slack/timed-fetch.ts';
import { createSlackWeb, slackErrorOf } from '../slack/web.ts';
import { createStore } from '../store/keyv-store.ts';
import type { RuntimeOptions } from './options.ts';

/**
 * The outside world the use cases talk to: the user map, the store, D3 (rate-limited gateway) and
 * Slack (Web API clients, checked once with auth.test). New D3 commands or Slack calls are built here.
 */
export async function connectEdges(config: Config, opts: RuntimeOptions, log: Log) {
  const web = new WebClient(config.slack.botToken.reveal(), {
    slackApiUrl: config.slack.apiUrl,
    // Bounded: three tries of at most 8 s each (summaries have a client of their own: createSummaryClient).
    timeout: opts.slackTimeoutMs ?? slackCallTimeoutMs,
    retryConfig: { retries: 2, minTimeout: 200, maxTimeout: 2000 },
    logger: undefined,
    fetch: requestFetch,
  });
  // auth.test goes out first and is awaited last: its round trip overlaps reading the user map and
  // opening the store. Their errors still come first, as before (a bad user map is reported whatever the token).
  const authed = web.auth.test().catch((e: unknown) => {
    throw new Error(`Slack did not accept SLACK_BOT_TOKEN (auth.test: ${slackErrorOf(e)})`);
  });
  authed.catch(() => {});
  const userMap = loadUserMap(config.userMapFile);
  const opened = await createStore(config.storeUrl, { log });
  const store = opts.wrapStore ? opts.wrapStore(opened) : opened;

  // On Redis, D3_MAX_RPS is the whole fleet's budget, kept in Redis; on one instance, this process's.
  const budget = { maxRps: config.d3.maxRps, queueMax: config.d3.queueMax };
  const fleet = /^rediss?:\/\//.test(config.storeUrl)
    ? await connectFleetLimiter(config.storeUrl, {
        ...budget,
        onError: (e) => log.warn({ err: String(e) }, 'fleet D3 budget (Redis) unreadable; close not sent yet'),
      })
    : undefined;
  const limiter = fleet?.limiter ?? createRateLimiter(budget);
  const d3 = createD3Gateway({
    client: createD3Client({ ...config.d3, dispatcher: opts.d3Dispatcher }),
    limiter,
    retryDeadlineMs: config.d3.retryDeadlineMs,
    clockSkewMs: config.d3.clockSkewMs,
    timeZone: config.d3.timeZone,
    closeCommand: config.d3.closeCommand,
    bulkChunk: config.d3.bulkChunk,
    log: log.child({ component: 'd3' }),
  });

  const slack = createSlackWeb(web, store, log);
  const auth = await authed;
  const summaryClient = createSummaryClient(
    config.slack.botToken.reveal(),
    config.slack.apiUrl,
    opts.slackTimeoutMs ?? slackCallTimeoutMs,
  );
  return {
    userMap,
    store,
    d3,
    limiter,
    fleetLimiter: fleet,
    slack,
    /** The Web API client for calls of the surfaces (channel names, permalinks, App Home). */
    web,
    bot: { botId: auth.bot_id, botUserId: auth.user_id },
    installation: installationOf(auth),
    summaryPost: createSummaryPost(summaryClient, {
      botId: auth.bot_id,
      incidentUrl: (n) => incidentUrl(config.d3.incidentUrlTemplate, n),
      timeZone: config.d3.timeZone,
    }),
    lookUpSummaries: historyLookupAllowed(auth.response_metadata?.scopes, log),
  };
}

export type Edges = Awaited<ReturnType<typeof connectEdges>>;
