import type { App } from '@slack/bolt';
import type { Dispatcher } from 'undici';
import type { Store } from '../domain/ports.ts';
import type { Log } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { HttpServerOptions } from '../slack/http-receiver.ts';

export interface RuntimeOptions {
  log?: Log;
  /** undici dispatcher for D3 (tests may pass their own). */
  d3Dispatcher?: Dispatcher;
  /** Body deadline and cap of the HTTP receiver (tests shorten them). */
  slackBodies?: Pick<NonNullable<HttpServerOptions['slack']>, 'bodyDeadlineMs' | 'maxPendingBodyBytes'>;
  /** Timeout of each Slack call, ours and Bolt's (tests shorten it). */
  slackTimeoutMs?: number;
  /** Wraps the store once opened (tests make chosen calls fail or wait: a store failing for a moment). */
  wrapStore?: (store: Store) => Store;
}

export interface Running {
  app: App;
  /** The HTTP port actually bound (Slack events in HTTP mode; probes in both modes). */
  port: number;
  mode: 'http' | 'socket';
  log: Log;
  /** What /metrics serves; still readable once stop() resolved, when the HTTP server is gone. */
  metrics: Pick<Metrics, 'registry'>;
  stop(): Promise<void>;
}
