import { randomUUID } from 'node:crypto';
import { type App, SocketModeReceiver } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { Dispatcher } from 'undici';
import { createApp } from './app.ts';
import type { Config } from './config.ts';
import { createD3Client } from './d3/client.ts';
import { createD3Gateway } from './d3/gateway.ts';
import { createRateLimiter } from './d3/rate-limit.ts';
import { createAuditTrail } from './domain/audit.ts';
import { createCloseIncident, createRefusalRecorder } from './domain/close-incident.ts';
import { createIntentResolver } from './domain/close-intent.ts';
import { createHistory } from './domain/history.ts';
import { createMappingCommands } from './domain/mapping.ts';
import { createSummaryDeliverer } from './domain/summaries.ts';
import { createIdentityResolver, loadUserMap } from './identity/user-map.ts';
import type { ListenerDeps } from './listeners/deps.ts';
import { createLog, type Log } from './log.ts';
import { createMetrics } from './metrics.ts';
import { type HttpServerOptions, SlackHttpReceiver, type send, sendJson } from './slack/http-receiver.ts';
import { outcomeMessage } from './slack/messages.ts';
import { createMetadataSealer } from './slack/metadata.ts';
import { installationOf } from './slack/organisation.ts';
import { createSummaryClient, createSummaryPost, historyLookupAllowed } from './slack/summary-post.ts';
import { slackCallTimeoutMs } from './slack/timed-fetch.ts';
import { createSlackWeb, slackErrorOf } from './slack/web.ts';
import { createStore } from './store/keyv-store.ts';

export interface RuntimeOptions {
  log?: Log;
  /** undici dispatcher for D3 (tests may pass their own). */
  d3Dispatcher?: Dispatcher;
  /** Body deadline and cap of the HTTP receiver (tests shorten them). */
  slackBodies?: Pick<NonNullable<HttpServerOptions['slack']>, 'bodyDeadlineMs' | 'maxPendingBodyBytes'>;
  /** Timeout of each Slack call, ours and Bolt's (tests shorten it). */
  slackTimeoutMs?: number;
}

export interface Running {
  app: App;
  /** The HTTP port actually bound (Slack events in HTTP mode; probes in both modes). */
  port: number;
  mode: 'http' | 'socket';
  log: Log;
  stop(): Promise<void>;
}

/** The per-incident lock's TTL: renewed while a close runs, it bounds how long a dead close holds it. */
const incidentLockTtlMs = 30_000;

/** Composition root: config → store, D3, Slack clients → use cases → Bolt app → listening. */
export async function startBot(config: Config, opts: RuntimeOptions = {}): Promise<Running> {
  const log = opts.log ?? createLog(config.logLevel);
  const userMap = loadUserMap(config.userMapFile);
  const store = await createStore(config.storeUrl, { log });
  const instanceId = randomUUID();

  const limiter = createRateLimiter({ maxRps: config.d3.maxRps, queueMax: config.d3.queueMax });
  const d3 = createD3Gateway({
    client: createD3Client({ ...config.d3, dispatcher: opts.d3Dispatcher }),
    limiter,
    retryDeadlineMs: config.d3.retryDeadlineMs,
    clockSkewMs: config.d3.clockSkewMs,
    timeZone: config.d3.timeZone,
    log: log.child({ component: 'd3' }),
  });

  const web = new WebClient(config.slack.botToken.reveal(), {
    slackApiUrl: config.slack.apiUrl,
    // Bounded: three tries of at most 8 s each (summaries have a client of their own: createSummaryClient).
    timeout: opts.slackTimeoutMs ?? slackCallTimeoutMs,
    retryConfig: { retries: 2, minTimeout: 200, maxTimeout: 2000 },
    logger: undefined,
  });
  const slack = createSlackWeb(web, store, log);
  const auth = await web.auth.test().catch((e: unknown) => {
    throw new Error(`Slack did not accept SLACK_BOT_TOKEN (auth.test: ${slackErrorOf(e)})`);
  });
  const summaryClient = createSummaryClient(
    config.slack.botToken.reveal(),
    config.slack.apiUrl,
    opts.slackTimeoutMs ?? slackCallTimeoutMs,
  );
  const summaryPost = createSummaryPost(summaryClient, { botId: auth.bot_id });
  const lookUpSummaries = historyLookupAllowed(auth.response_metadata?.scopes, log);
  const metrics = createMetrics({
    queueDepth: () => d3.queueDepth(),
    pendingSummaries: async () => (await store.outbox.list()).length,
    heldSummaries: () => summaries.held(),
  });

  const installation = installationOf(auth);
  const resolveIdentity = createIdentityResolver(
    userMap,
    config.d3.defaultSite,
    {
      override: (id) => store.overrides.get(id),
      person: (id) => slack.person(id),
      emailRefused: (id, reason) => log.warn({ slackUser: id, reason }, 'profile email in the user map not accepted'),
    },
    installation,
  );
  const isInAllowedGroup = (id: string) => slack.isInGroups(id, config.policy.allowedUserGroupIds);
  const auditTrail = createAuditTrail({
    store,
    noteKey: config.audit.noteKey,
    onUnrecorded: metrics.countUnrecordedRefusal,
  });
  const summaries = createSummaryDeliverer({
    store,
    resolveIntent: createIntentResolver({ store, d3, lockTtlMs: incidentLockTtlMs, log }),
    post: (p) => summaryPost.post(p),
    findPosted: lookUpSummaries ? (p) => summaryPost.findPosted(p) : undefined,
    notifyNotPosted: (p, slackError) =>
      slack.notifyUser(p.channelId, p.slackUserId, {
        text: outcomeMessage(
          {
            ok: true,
            closure: p.closure,
            delivery: { status: 'not_posted', channelId: p.channelId, slackError, willRetry: false },
          },
          { incidentNumber: p.closure.incidentNumber, supportContact: config.supportContact },
        ).text,
      }),
    log,
    instanceId,
    claimTtlMs: config.outbox.claimTtlMs,
    observe: (e) => metrics.observeSummary(e),
  });
  const inFlight = new Map<Promise<unknown>, string>();
  const closeNow = createCloseIncident({
    rules: config.policy,
    resolveIdentity,
    isInAllowedGroup,
    d3,
    store,
    summaries,
    log,
    observe: metrics.observeClose,
    auditTrail,
    // Renewed every third of it while the close runs (lock-heartbeat.ts): this only bounds how long a
    // crashed instance keeps an incident locked.
    lockTtlMs: incidentLockTtlMs,
    closedMemoryMs: 2 * config.d3.clockSkewMs + 60_000,
  });
  // Tracked so a graceful stop can wait for closures under way, in HTTP and Socket Mode alike.
  const closeIncident: typeof closeNow = (req) => {
    const work = closeNow(req);
    inFlight.set(work, req.incidentNumber);
    void work.finally(() => inFlight.delete(work)).catch(() => {});
    return work;
  };

  const deps: ListenerDeps = {
    rules: config.policy,
    installation,
    supportContact: config.supportContact,
    log,
    closeIncident,
    d3Busy: () => d3.queueDepth() >= config.d3.queueMax,
    recordRefusal: createRefusalRecorder({ log, auditTrail, observe: metrics.observeClose }),
    mapping: createMappingCommands({ store, resolveIdentity, rules: config.policy }),
    history: createHistory({ rules: config.policy, resolveIdentity, isInAllowedGroup, store, auditTrail, log }),
    metadata: createMetadataSealer(config.slack.botToken.reveal()),
    notifyUser: (c, u, m) => slack.notifyUser(c, u, m),
    newRequestId: () => randomUUID(),
  };

  let ready = false;
  // In Socket Mode, Slack reaches this instance only while its WebSocket is up.
  let slackConnected = !config.slack.appToken;
  const routes = {
    '/healthz': (_req: unknown, res: Parameters<typeof send>[0]) => sendJson(res, { status: 'ok' }),
    '/readyz': async (_req: unknown, res: Parameters<typeof send>[0]) => {
      const storeOk = await store.ping();
      const ok = ready && storeOk && slackConnected;
      sendJson(res, { ready: ok, store: storeOk, slack: slackConnected, config: true }, ok ? 200 : 503);
    },
    '/metrics': async (_req: unknown, res: Parameters<typeof send>[0]) => {
      res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(await metrics.registry.metrics());
    },
  };
  const http = new SlackHttpReceiver({
    port: config.http.port,
    host: config.http.host,
    log,
    routes,
    slack: config.slack.appToken
      ? undefined
      : { signingSecret: config.slack.signingSecret!, onAck: (ms) => metrics.observeAck(ms), ...opts.slackBodies },
  });
  const socket = config.slack.appToken
    ? new SocketModeReceiver({
        appToken: config.slack.appToken.reveal(),
        logger: undefined,
        installerOptions: {
          clientOptions: { slackApiUrl: config.slack.apiUrl, timeout: opts.slackTimeoutMs ?? slackCallTimeoutMs },
        },
      })
    : undefined;
  if (socket) {
    timeAcks(socket, (ms) => metrics.observeAck(ms));
    socket.client.on('connected', () => {
      slackConnected = true;
    });
    for (const down of ['close', 'reconnecting', 'disconnecting', 'disconnected']) {
      socket.client.on(down, () => {
        slackConnected = false;
      });
    }
  }
  const app = createApp(config, deps, socket ?? http, { botId: auth.bot_id, botUserId: auth.user_id }, opts);

  if (socket) {
    await http.start();
    await app.start();
  } else {
    await app.start();
  }
  ready = true;
  summaries.start(config.outbox.intervalMs);
  log.info(
    { port: http.port, mode: socket ? 'socket' : 'http', store: config.storeUrl.split(':')[0] },
    'close-incident ready',
  );

  return {
    app,
    port: http.port,
    mode: socket ? 'socket' : 'http',
    log,
    async stop() {
      ready = false;
      const deadline = Date.now() + config.shutdownTimeoutMs;
      const left = () => Math.max(0, deadline - Date.now());
      // Stop taking requests and replaying, then wait (bounded) for closures and posts already under way.
      const replayDone = summaries.stop();
      if (socket) await app.stop();
      await Promise.all([http.stop(left()), settle([...inFlight.keys(), replayDone], left())]);
      if (inFlight.size > 0) {
        // Their outcome is unknown (D3 may yet act on them) and nothing will announce them: say so.
        log.warn(
          { closures: inFlight.size, incidents: [...inFlight.values()] },
          'shutdown deadline passed; closures under way abandoned, check them in D3',
        );
      }
      // The D3 agent's close() waits for requests still open; past the deadline those are abandoned.
      await settle([d3.destroy()], left());
      await store.close();
    },
  };
}

/**
 * Bolt's SocketModeReceiver has no ack hook (our HTTP receiver times acks itself): hand it a view of
 * the app whose processEvent times each event's ack, so close_incident_ack_seconds covers both modes.
 */
function timeAcks(receiver: SocketModeReceiver, onAck: (ms: number) => void): void {
  const init = receiver.init.bind(receiver);
  receiver.init = (app: App) => {
    const timed = Object.create(app) as App;
    timed.processEvent = (event) => {
      const started = performance.now();
      const ack = async (response?: unknown) => {
        await event.ack(response);
        onAck(performance.now() - started);
      };
      return app.processEvent({ ...event, ack });
    };
    init(timed);
  };
}

async function settle(work: Iterable<Promise<unknown>>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([Promise.allSettled([...work]), expired]);
  clearTimeout(timer);
}
