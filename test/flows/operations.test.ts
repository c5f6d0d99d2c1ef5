import { afterEach, describe, expect, it } from 'vitest';
import { slashCommandPayload } from '../support/fixtures.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { type RedisServer, redisAvailable, startRedis } from '../support/redis.ts';

/** `name{labels}` → value, from Prometheus text exposition. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

async function scrape(h: Harness) {
  const res = await fetch(`${h.baseUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  const text = await res.text();
  return { text, get: (name: string) => samples(text).get(name) };
}

describe('operations endpoints', () => {
  let h: Harness | undefined;
  let redis: RedisServer | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
    await redis?.stop();
    redis = undefined;
  });

  it('answers /healthz and /readyz with 200 once started', async () => {
    h = await startHarness();
    const health = await fetch(`${h.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${h.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, store: true, slack: true, config: true });
  });

  it('exposes closures by outcome, D3 and ack latency, queue depth and pending summaries in /metrics', async () => {
    h = await startHarness();
    const before = await scrape(h);
    expect(before.text).toContain('# TYPE close_incident_closures_total counter');
    expect(before.get('close_incident_ack_seconds_count')).toBe(0);

    await h.command({ text: '20200526-23 benign', response_url: h.slack.responseUrl('closed') });
    await h.slack.waitFor(() => h!.slack.responses('closed').length === 1);
    await h.command({
      user_id: 'U0NOBODY',
      text: '20200526-23 not mapped',
      response_url: h.slack.responseUrl('refused'),
    });
    await h.slack.waitFor(() => h!.slack.responses('refused').length === 1);

    const after = await scrape(h);
    expect(after.get('close_incident_closures_total{outcome="closed",code=""}')).toBe(1);
    expect(after.get('close_incident_closures_total{outcome="refused",code="user_unmapped"}')).toBe(1);
    expect(after.text).toContain('# TYPE close_incident_d3_call_seconds histogram');
    expect(after.get('close_incident_d3_call_seconds_count')).toBe(1);
    expect(after.get('close_incident_d3_call_seconds_bucket{le="+Inf"}')).toBe(1);
    expect(after.text).toContain('# TYPE close_incident_ack_seconds histogram');
    expect(after.get('close_incident_ack_seconds_count')).toBe(2);
    expect(after.get('close_incident_ack_seconds_bucket{le="+Inf"}')).toBe(2);
    expect(after.get('close_incident_d3_queue_depth')).toBe(0);
    expect(after.get('close_incident_pending_summaries')).toBe(0);
    expect(after.get('close_incident_summaries_held_in_memory')).toBe(0);
    expect(after.get('close_incident_summaries_dropped_total')).toBe(0);
    for (const op of ['put', 'claim', 'remove', 'list']) {
      expect(after.get(`close_incident_summary_store_failures_total{op="${op}"}`)).toBe(0);
    }
  });

  it('counts a summary Slack would not take as pending until it is posted', async () => {
    h = await startHarness({ env: { OUTBOX_INTERVAL_MS: '60000' } });
    h.slack.script('chat.postMessage', { status: 500 }, { status: 500 }, { status: 500 });
    await h.command({ text: '20200526-23 benign', response_url: h.slack.responseUrl('closed') });
    await h.slack.waitFor(() => h!.slack.responses('closed').length === 1, 10_000);
    expect((await scrape(h)).get('close_incident_pending_summaries')).toBe(1);
  });

  it('times acknowledgements in Socket Mode too', async () => {
    h = await startHarness({ env: { SLACK_APP_TOKEN: 'xapp-test-token', SLACK_SIGNING_SECRET: '' } });
    await h.slack.waitFor(() => h!.slack.socket.connected() === 1);
    await h.slack.socket.send('slash_commands', slashCommandPayload('close-command.form', { text: 'help' }));
    expect((await scrape(h)).get('close_incident_ack_seconds_count')).toBe(1);
  });

  it.skipIf(!redisAvailable())('reports not ready while Redis is down, and stays alive', async () => {
    redis = await startRedis();
    if (!redis) throw new Error('redis-server is required here');
    h = await startHarness({ env: { STORE_URL: redis.url } });
    expect((await fetch(`${h.baseUrl}/readyz`)).status).toBe(200);

    await redis.stop();
    redis = undefined;
    const ready = await fetch(`${h.baseUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, store: false });
    expect((await fetch(`${h.baseUrl}/healthz`)).status).toBe(200);
  });
});
