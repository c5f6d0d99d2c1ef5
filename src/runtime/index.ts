import type { SlashCommand } from '@slack/bolt';
import { createApp } from '../app.ts';
import type { Config } from '../config.ts';
import { busyCloseAnswer } from '../listeners/close-command.ts';
import { createLog } from '../log.ts';
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

  const busyAnswer = busyCloseAnswer(deps);
  let ready = false;
  const { http, socket, slackConnected } = createReceivers(config, opts, {
    log,
    onAck: (ms) => metrics.observeAck(ms),
    // Load shedding: a close refused for a full D3 queue is answered before Bolt (close-command.ts).
    earlyAnswer: (kind, body) => (kind === 'command' ? busyAnswer(body as unknown as SlashCommand) : undefined),
    routes: probeRoutes({
      ready: () => ready,
      storeOk: () => edges.store.ping(),
      slackConnected: () => slackConnected(),
      metrics,
    }),
  });
  const app = createApp(config, deps, socket ?? http, edges.bot, opts);

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
