import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeD3 } from '../support/fake-d3.ts';
import { startFakeSlack } from '../support/fake-slack.ts';
import { botToken, d3Key, type Harness, startHarness } from '../support/harness.ts';
import { type RedisServer, redisAvailable, startRedis } from '../support/redis.ts';

const rateLimited = { status: 429, headers: { 'retry-after': '1' } };
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function pendingSummaries(h: Harness): Promise<number> {
  const text = await (await fetch(`${h.baseUrl}/metrics`)).text();
  return Number(/^close_incident_pending_summaries (\S+)$/m.exec(text)?.[1]);
}

const summariesOf = (h: Harness, incident: string) =>
  h.slack.messages('C1234').filter((m) => String(m.text).includes(`Incident ${incident} closed`));

describe('one closure, one post, in a healthy process', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('posts once while Slack answers 429 with Retry-After for longer than the claim lasts', async () => {
    h = await startHarness({ env: { OUTBOX_INTERVAL_MS: '50', OUTBOX_CLAIM_TTL_MS: '300' } });
    h.slack.script('chat.postMessage', rateLimited, rateLimited);

    await h.command({ text: '20200526-23 benign scanner', response_url: h.slack.responseUrl('analyst') });
    await h.slack.waitFor(() => h!.slack.responses('analyst').length === 1, 10_000);
    await settle(1_000);

    const posts = summariesOf(h, '20200526-23');
    process.stdout.write(`point 5a (one instance): ${posts.length} summary post(s) after two 429s\n`);
    expect(await pendingSummaries(h)).toBe(0);
    expect(posts).toHaveLength(1);
    expect(JSON.stringify(h.slack.responses('analyst')[0])).toContain('The summary is posted in <#C1234>');
  });

  it('never tells the analyst another instance is posting when the retry loop runs every 5 ms', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'close-incident-race-'));
    h = await startHarness({
      env: { OUTBOX_INTERVAL_MS: '5', D3_MAX_RPS: '200', STORE_URL: `sqlite://${join(dir, 'x.sqlite')}` },
    });
    const batch = 4;
    const incidents = Array.from({ length: 120 }, (_, i) => `20200526-${100 + i}`);
    for (let i = 0; i < incidents.length; i += batch) {
      await Promise.all(
        incidents
          .slice(i, i + batch)
          .map((n) => h!.command({ text: `${n} benign`, response_url: h!.slack.responseUrl(n) })),
      );
    }
    await h.slack.waitFor(() => h!.slack.responses().length === incidents.length, 60_000);
    await settle(200);

    const told = incidents.map((n) => JSON.stringify(h!.slack.responses(n)));
    const falseAlarms = told.filter((t) => t.includes('another instance'));
    process.stdout.write(`point 15: ${falseAlarms.length} of ${incidents.length} told "another instance"\n`);
    expect(falseAlarms).toEqual([]);
    expect(told.every((t) => t.includes('The summary is posted in <#C1234>'))).toBe(true);
    expect(incidents.map((n) => summariesOf(h!, n).length)).toEqual(incidents.map(() => 1));
  }, 90_000);
});

describe.skipIf(!redisAvailable())('one closure, one post, across two instances on one Redis', () => {
  let redis: RedisServer;
  const running: Harness[] = [];
  beforeAll(async () => {
    const started = await startRedis();
    if (!started) throw new Error('redis-server is required here');
    redis = started;
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop({ keepFakes: true })));
  });

  it('keeps the claim while the live post sleeps out Retry-After, so the other instance does not post it', async () => {
    const d3 = await startFakeD3({ apiKey: d3Key });
    const slack = await startFakeSlack({ botToken });
    try {
      const env = { STORE_URL: redis.url, OUTBOX_CLAIM_TTL_MS: '300' };
      const a = await startHarness({ d3, slack, env: { ...env, OUTBOX_INTERVAL_MS: '60000' } });
      running.push(a);
      const b = await startHarness({ d3, slack, env: { ...env, OUTBOX_INTERVAL_MS: '50' } });
      running.push(b);
      slack.script('chat.postMessage', rateLimited, rateLimited);

      await a.command({ text: '20200526-23 benign scanner', response_url: slack.responseUrl('analyst') });
      await slack.waitFor(() => slack.responses('analyst').length === 1, 10_000);
      await settle(1_000);

      const posts = slack.messages('C1234');
      process.stdout.write(`point 5a (two instances): ${posts.length} summary post(s) after two 429s\n`);
      expect(posts).toHaveLength(1);
      expect(await pendingSummaries(b)).toBe(0);
    } finally {
      await Promise.all(running.splice(0).map((r) => r.stop({ keepFakes: true })));
      await Promise.all([d3.stop(), slack.stop()]);
    }
  });
});
