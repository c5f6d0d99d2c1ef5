import type { SlashCommand } from '@slack/bolt';
import { createApp, reportUnexpected } from '../app.ts';
import type { Config } from '../config.ts';
import { earlyCloseAnswer } from '../listeners/close-command.ts';
import { createLog } from '../log.ts';
import { respondVia } from '../slack/respond.ts';
import { slackCallTimeoutMs, timedFetch } from '../slack/timed-fetch.ts';
import { connectEdges } from './edges.ts';
import { stopGracefully } from './lifecycle.ts';
import type { Running, RuntimeOptions } from './options.ts';
import { probeRoutes } from './probes.ts';
import { createReceivers } from './receivers.ts';
import { wireUseCases } from './use-cases.ts';

export type { Running, RuntimeOptions } from './options.ts';

/** Composition root: config → edges (store, D3, Slack) → use cases → receivers → Bolt app → listening. */
export async function startBot(config: Config, opts: RuntimeOptions = {}): Promise<Running> {
  const log = opts.log ?? createLog(config.logLevel);
  const edges = await connectEdges(config, opts, log);
  const { deps, summaries, metrics, closures, queue } = wireUseCases(config, edges, log);

  // A plain close typed in the command is run before Bolt, with Bolt's respond() and error handling.
  const slackFetch = timedFetch(opts.slackTimeoutMs ?? slackCallTimeoutMs);
  const earlyClose = earlyCloseAnswer(deps, respondVia(slackFetch), reportUnexpected(deps, slackFetch));
  let ready = false;
  const { http, socket, slackConnected } = createReceivers(config, opts, {
    log,
    onAck: (ms) => metrics.observeAck(ms),
    // A plain close (or its refusal while D3's queue is full) is answered before Bolt (close-command.ts).
    earlyAnswer: (kind, body) => {
      if (kind !== 'command') return undefined;
      try {
        return earlyClose(body as unknown as SlashCommand);
      } catch (e) {
        // Bolt's path then answers it, with its error handler's message if the listener fails the same way.
        log.error({ err: e }, 'early answer failed; handing the request to Bolt');
        return undefined;
      }
    },
    routes: probeRoutes({
      ready: () => ready,
      storeOk: () => edges.store.ping(),
      slackConnected: () => slackConnected(),
      metrics,
    }),
  });
  const app = createApp(config, deps, socket ?? http, edges.bot, { ...opts, slackFetch });

  if (socket) await http.start();
  await app.start();
  ready = true;
  summaries.start(config.outbox.intervalMs);
  queue.startTakingOver(config.outbox.intervalMs);
  const mode = socket ? 'socket' : 'http';
  log.info({ port: http.port, mode, store: config.storeUrl.split(':')[0] }, 'close-incident ready');

  return {
    app,
    port: http.port,
    mode,
    log,
    metrics,
    async stop() {
      ready = false;
      await stopGracefully({
        timeoutMs: config.shutdownTimeoutMs,
        log,
        inFlight: closures.inFlight,
        afterAck: closures.afterAck,
        // Closes still waiting for D3 are handed over (left stored, unclaimed), not abandoned.
        stopReplay: async () => void (await Promise.all([summaries.stop(), queue.handOver()])),
        // Socket Mode: the WebSocket closes first; the HTTP server (probes, or Slack in HTTP mode) drains.
        stopTaking: async () => {
          if (socket) await app.stop();
        },
        stopHttp: (left) => http.stop(left),
        stopD3: () => edges.d3.destroy(),
        closeStore: async () => {
          await edges.store.close();
          await edges.fleetLimiter?.disconnect();
        },
      });
    },
  };
}
