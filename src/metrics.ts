import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SummaryEvent } from './domain/summaries.ts';

// From prom-client's public entry, though its index also loads default metrics and
// @opentelemetry/api (~70 ms of start-up CPU, issue 9's profile): its lib/ files are private.

export interface MetricSources {
  queueDepth: () => number;
  pendingSummaries: () => Promise<number>;
  heldSummaries: () => number;
}

/** Prometheus metrics on a registry of our own (several app instances can share one test process). */
export function createMetrics(sources: MetricSources) {
  const registry = new Registry();
  const closures = new Counter({
    name: 'close_incident_closures_total',
    help: 'Close attempts by outcome (closed, already_closed, closed_by_other, closed_unconfirmed, refused, failed, unknown, handed_over) and error code',
    labelNames: ['outcome', 'code'] as const,
    registers: [registry],
  });
  const d3Latency = new Histogram({
    name: 'close_incident_d3_call_seconds',
    help: 'Time from the start of a close to D3’s final answer, retries included',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 60],
    registers: [registry],
  });
  const ackLatency = new Histogram({
    name: 'close_incident_ack_seconds',
    help: 'Time from receiving a Slack request to acknowledging it',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3],
    registers: [registry],
  });
  new Gauge({
    name: 'close_incident_d3_queue_depth',
    help: 'Closes waiting for a D3 rate-limit slot',
    registers: [registry],
    collect() {
      this.set(sources.queueDepth());
    },
  });
  new Gauge({
    name: 'close_incident_pending_summaries',
    help: 'Confirmed closures whose summary is not yet posted',
    registers: [registry],
    async collect() {
      this.set(await sources.pendingSummaries().catch(() => -1));
    },
  });
  new Gauge({
    name: 'close_incident_summaries_held_in_memory',
    help: 'Confirmed closures kept only in memory because the store would not take them (lost on restart)',
    registers: [registry],
    collect() {
      this.set(sources.heldSummaries());
    },
  });
  const summaryStoreFailures = new Counter({
    name: 'close_incident_summary_store_failures_total',
    help: 'Store errors while handling closure summaries, by operation (put, claim, remove, list)',
    labelNames: ['op'] as const,
    registers: [registry],
  });
  const summariesDropped = new Counter({
    name: 'close_incident_summaries_dropped_total',
    help: 'Closure summaries neither posted nor kept: store down, Slack failing, and the memory list full',
    registers: [registry],
  });
  for (const op of ['put', 'claim', 'remove', 'list']) summaryStoreFailures.inc({ op }, 0);
  const unrecordedRefusals = new Counter({
    name: 'close_incident_refusals_unrecorded_total',
    help: 'Refused requests over the per-user audit bound (5 a minute): counted here, neither logged nor stored one by one',
    registers: [registry],
  });
  const previewFailures = new Counter({
    name: 'close_incident_preview_failures_total',
    help: 'Incident previews (getIncidentStaticField) that failed; the close went ahead without them',
    labelNames: ['code'],
    registers: [registry],
  });
  return {
    registry,
    countPreviewFailure: (code: string) => previewFailures.inc({ code }),
    countUnrecordedRefusal: () => unrecordedRefusals.inc(),
    observeSummary(e: SummaryEvent) {
      if (e === 'dropped') summariesDropped.inc();
      else summaryStoreFailures.inc({ op: e.replace('_failed', '') });
    },
    observeClose(outcome: string, code: string | undefined, d3LatencyMs: number | undefined) {
      closures.inc({ outcome, code: code ?? '' });
      if (d3LatencyMs !== undefined) d3Latency.observe(d3LatencyMs / 1000);
    },
    observeAck(ms: number) {
      ackLatency.observe(ms / 1000);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
