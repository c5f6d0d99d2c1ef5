import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';
import { type RedisServer, redisAvailable, startRedis } from '../support/redis.ts';

const note = 'Outage note: benign scanner on WS-0193';

async function metric(h: Harness, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${h.baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe.skipIf(!redisAvailable())('a confirmed closure while the store (Redis) is down', () => {
  let redis: RedisServer | undefined;
  let port: number;
  let h: Harness;

  beforeEach(async () => {
    redis = await startRedis();
    if (!redis) throw new Error('redis-server is required here');
    port = Number(new URL(redis.url).port);
    h = await startHarness({ env: { STORE_URL: redis.url, OUTBOX_INTERVAL_MS: '100' } });
  });
  afterEach(async () => {
    await h.stop();
    await redis?.stop();
    redis = undefined;
  });

  /** Closes 20200526-23 with Redis stopped while D3 is acting on it: D3 confirms, the outbox write fails. */
  async function closeDuringOutage() {
    h.d3.script('close', { fixture: 'close-ok.json', delayMs: 600 });
    const ack = await h.command({ text: `20200526-23 ${note}`, response_url: h.slack.responseUrl('analyst') });
    expect(ack.status).toBe(200);
    await h.slack.waitFor(() => h.d3.closeCalls().length === 1);
    await redis!.stop();
    redis = undefined;
    await h.slack.waitFor(() => h.slack.responses('analyst').length === 1, 10_000);
    return JSON.stringify(h.slack.responses('analyst')[0]);
  }
  const restartRedis = async () => {
    redis = await startRedis({ port });
  };
  const summaries = () => h.slack.messages('C1234').filter((m) => String(m.text).includes('20200526-23'));

  it('posts the summary at once, without the claim, when Slack is up', async () => {
    const told = await closeDuringOutage();

    expect(told).toContain('The summary is posted in <#C1234>');
    expect(summaries()).toHaveLength(1);
    expect(await metric(h, 'close_incident_summary_store_failures_total{op="put"}')).toBe(1);
    expect(await metric(h, 'close_incident_summary_store_failures_total{op="claim"}')).toBe(1);
    expect(h.logs()).toMatch(/"level":50[^\n]*could not record the closure in the outbox/);
  });

  it('tells the real Slack error, and no retry, when Slack refuses the post for good', async () => {
    h.slack.script('chat.postMessage', { error: 'not_in_channel' });
    const told = await closeDuringOutage();

    expect(told).toContain('D3 closed 20200526-23');
    expect(told).toContain('not a member of that channel');
    expect(told).not.toContain('will post it');
    expect(told).not.toContain('keep trying');
  });

  it('keeps the closure in memory while both fail, and posts it once when Slack and then Redis come back', async () => {
    h.slack.outage('chat.postMessage', { status: 503 });
    const told = await closeDuringOutage();

    expect(told).toContain('D3 closed 20200526-23');
    expect(told).toContain('keep trying');
    expect(await metric(h, 'close_incident_summaries_held_in_memory')).toBe(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(summaries()).toHaveLength(0);

    h.slack.outage('chat.postMessage');
    await h.slack.waitFor(() => summaries().length === 1, 10_000);
    expect(await metric(h, 'close_incident_summaries_held_in_memory')).toBe(0);
    await restartRedis();
    await h.slack.waitFor(() => h.logs().includes('store: Redis connection restored'), 10_000);
    await new Promise((r) => setTimeout(r, 500));

    expect(summaries()).toHaveLength(1);
    expect(await metric(h, 'close_incident_pending_summaries')).toBe(0);
  });

  it('moves the held closure into the outbox when Redis comes back first, then posts it once Slack does', async () => {
    h.slack.outage('chat.postMessage', { status: 503 });
    await closeDuringOutage();
    expect(await metric(h, 'close_incident_summaries_held_in_memory')).toBe(1);

    await restartRedis();
    await h.slack.waitFor(() => h.logs().includes('store: Redis connection restored'), 10_000);
    await h.slack.waitFor(() => h.logs().includes('held summary saved to the outbox'), 10_000);
    expect(await metric(h, 'close_incident_summaries_held_in_memory')).toBe(0);
    expect(await metric(h, 'close_incident_pending_summaries')).toBe(1);
    expect(summaries()).toHaveLength(0);

    h.slack.outage('chat.postMessage');
    await h.slack.waitFor(() => summaries().length === 1, 10_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(summaries()).toHaveLength(1);
    expect(await metric(h, 'close_incident_pending_summaries')).toBe(0);
  });
});
