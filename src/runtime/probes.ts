import type { Metrics } from '../metrics.ts';
import type { Route } from '../slack/http-receiver.ts';
import { sendJson } from '../slack/http-send.ts';

export interface ProbeState {
  /** Started and not stopping. */
  ready(): boolean;
  storeOk(): Promise<boolean>;
  /** In Socket Mode, Slack reaches this instance only while its WebSocket is up; always true in HTTP mode. */
  slackConnected(): boolean;
  metrics: Pick<Metrics, 'registry'>;
}

/** /healthz (the process answers), /readyz (store, Slack connection, started) and /metrics (Prometheus). */
export function probeRoutes(s: ProbeState): Record<string, Route> {
  return {
    '/healthz': (_req, res) => sendJson(res, { status: 'ok' }),
    '/readyz': async (_req, res) => {
      const storeOk = await s.storeOk();
      const slack = s.slackConnected();
      const ok = s.ready() && storeOk && slack;
      sendJson(res, { ready: ok, store: storeOk, slack, config: true }, ok ? 200 : 503);
    },
    '/metrics': async (_req, res) => {
      res.writeHead(200, { 'content-type': s.metrics.registry.contentType }).end(await s.metrics.registry.metrics());
    },
  };
}
