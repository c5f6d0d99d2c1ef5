import type { Receiver } from '@slack/bolt';
import type { Config } from './config.ts';
import type { ListenerDeps } from './listeners/deps.ts';
import { registerListeners } from './listeners/index.ts';
import { boltLogger, type Log } from './log.ts';
import { App } from './slack/bolt.ts';
import { unexpectedErrorText } from './slack/render/messages.ts';
import { slackCallTimeoutMs, timedFetch } from './slack/timed-fetch.ts';

// Bolt's public entry does not export ExtendedErrorHandler; it is the parameter of App#error's last
// overload (the one `extendedErrorHandler: true` selects), so it is read from there, not from dist/App.js.
type ExtendedErrorHandler = Parameters<App['error']>[0];

/**
 * The Bolt app: listeners and one error handler. Everything it talks to comes in, so tests and
 * the demo pass loopback fakes and production passes the real thing.
 */
export function createApp(
  config: Config,
  deps: ListenerDeps & { log: Log },
  receiver: Receiver,
  bot: { botId?: string; botUserId?: string } = {},
  o: { slackTimeoutMs?: number; slackFetch?: typeof fetch } = {},
): App {
  const timeout = o.slackTimeoutMs ?? slackCallTimeoutMs;
  // The composition root's, shared with the receiver's early answer (one bounded fetch for all of Slack).
  const slackFetch = o.slackFetch ?? timedFetch(timeout);
  const app = new App({
    token: config.slack.botToken.reveal(),
    receiver,
    // The token was verified once at start-up (runtime/edges.ts); Bolt need not call auth.test again.
    tokenVerificationEnabled: false,
    botId: bot.botId,
    botUserId: bot.botUserId,
    logger: boltLogger(deps.log),
    // No listener keeps conversation state; Bolt's default in-memory store would look every event up
    // and build a rejected Promise with an Error (a stack trace) for each miss, on the ack path.
    convoStore: false,
    // Every call Bolt makes for a listener is bounded: the client's (views.open; one retry, a trigger
    // expires in 3 s anyway; a 429 fails at once rather than sleeping out Retry-After) and respond()'s
    // POST to the response_url, which goes through `fetch`.
    clientOptions: {
      slackApiUrl: config.slack.apiUrl,
      timeout,
      retryConfig: { retries: 1, minTimeout: 200, maxTimeout: 1000 },
      rejectRateLimitedCalls: true,
      fetch: slackFetch,
    },
    extendedErrorHandler: true,
  });
  registerListeners(app, deps);
  const report = reportUnexpected(deps, slackFetch);
  const onError: ExtendedErrorHandler = ({ error, body }) => report(error, body);
  app.error(onError);
  return app;
}

/**
 * What an unexpected failure in a listener does (Bolt's error handler, and the receiver's early answer:
 * listeners/close-command.ts earlyCloseAnswer): logged with a reference, and the analyst told on the
 * request's response_url that something went wrong and to check D3 before trying again.
 */
export function reportUnexpected(deps: Pick<ListenerDeps, 'newRequestId'> & { log: Log }, slackFetch: typeof fetch) {
  return async (error: unknown, body: unknown): Promise<void> => {
    const ref = deps.newRequestId();
    const b = body as { user_id?: string; user?: { id?: string }; response_url?: string } | undefined;
    // Only the unexpected lands here; expected refusals are Outcome values rendered by the listeners.
    deps.log.error({ err: error, ref, slackUser: b?.user_id ?? b?.user?.id }, 'unhandled listener error');
    const text = unexpectedErrorText(ref);
    if (b?.response_url?.startsWith('http')) {
      await slackFetch(b.response_url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      }).catch(() => {});
    }
  };
}
