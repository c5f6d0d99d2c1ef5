import type { App } from '@slack/bolt';
import type { Config } from '../config.ts';
import type { Log } from '../log.ts';
import { SocketModeReceiver } from '../slack/bolt.ts';
import { type EarlyAnswer, type Route, SlackHttpReceiver } from '../slack/http-receiver.ts';
import type { ServedKind } from '../slack/request.ts';
import { slackCallTimeoutMs } from '../slack/timed-fetch.ts';
import type { RuntimeOptions } from './options.ts';

/**
 * How Slack reaches the bot: our HTTP receiver (signed requests at /slack/events, and the probes), or
 * Socket Mode (Bolt's receiver; the HTTP server then serves only the probes). Acks are timed in both.
 */
export function createReceivers(
  config: Config,
  opts: RuntimeOptions,
  o: {
    log: Log;
    routes: Record<string, Route>;
    onAck: (ms: number) => void;
    /** HTTP mode only: answers decided before Bolt (http-receiver.ts earlyAnswer). */
    earlyAnswer?: (kind: ServedKind, body: Record<string, unknown>) => EarlyAnswer | undefined;
  },
) {
  // In Socket Mode, Slack reaches this instance only while its WebSocket is up.
  let connected = !config.slack.appToken;
  const http = new SlackHttpReceiver({
    port: config.http.port,
    host: config.http.host,
    log: o.log,
    routes: o.routes,
    slack: config.slack.appToken
      ? undefined
      : { signingSecret: config.slack.signingSecret!, onAck: o.onAck, earlyAnswer: o.earlyAnswer, ...opts.slackBodies },
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
    timeAcks(socket, o.onAck);
    socket.client.on('connected', () => {
      connected = true;
    });
    for (const down of ['close', 'reconnecting', 'disconnecting', 'disconnected']) {
      socket.client.on(down, () => {
        connected = false;
      });
    }
  }
  return { http, socket, slackConnected: () => connected };
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
