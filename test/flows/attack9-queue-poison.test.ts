import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@keyv/redis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ChildApp, startChildApp } from '../support/child-app.ts';
import { type FakeD3, startFakeD3 } from '../support/fake-d3.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { botToken, d3Key, defaultUserMap, harnessEnv } from '../support/harness.ts';
import { type RedisServer, redisAvailable, startRedis } from '../support/redis.ts';

/**
 * A stored close the takeover cannot read (a half-written value, an entry of an older or newer shape, a
 * hand-edited key) must not stop the instance from taking over the closes it can read, nor kill it.
 */
describe.skipIf(!redisAvailable())('a poisoned queue entry', () => {
  let d3: FakeD3;
  let slack: FakeSlack;
  let dir: string;
  let redis: RedisServer | undefined;
  let child: ChildApp | undefined;

  beforeEach(async () => {
    d3 = await startFakeD3({ apiKey: d3Key });
    slack = await startFakeSlack({ botToken });
    dir = mkdtempSync(join(tmpdir(), 'close-incident-poison-'));
    redis = await startRedis();
  });
  afterEach(async () => {
    if (child && child.proc.exitCode === null && child.proc.signalCode === null) child.kill('SIGKILL');
    await child?.exited;
    child = undefined;
    await Promise.all([d3.stop(), slack.stop()]);
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const cases: Array<[string, Record<string, string>]> = [
    ['an entry of another shape does not kill the instance', { 'req-shape': JSON.stringify({ id: 'req-shape' }) }],
    ['an entry that is not JSON does not hide the others', { 'req-garbage': '{"id":"req-garb' }],
  ];
  it.each(cases)(
    'Redis: %s; the readable close is taken over and told',
    async (_title, bad) => {
      if (!redis) throw new Error('redis-server is required here');
      const admin = createClient({ url: redis.url });
      await admin.connect();
      const good = {
        id: 'req-good',
        request: {
          requestId: 'req-good',
          slackUserId: 'U1234',
          channelId: 'C1234',
          incidentNumber: '20261201-77',
          note: 'left by a dead instance',
        },
        responseUrl: slack.responseUrl('good'),
        createdAt: Date.now(),
      };
      // hVals lists fields in insertion order for a small hash: the bad ones come first.
      for (const [field, value] of Object.entries(bad)) await admin.hSet('ci:queue', field, value);
      await admin.hSet('ci:queue', 'req-good', JSON.stringify(good));
      await admin.close();

      const userMapFile = join(dir, 'users.yml');
      writeFileSync(userMapFile, defaultUserMap);
      child = await startChildApp(
        harnessEnv({
          d3Url: d3.url,
          slackApiUrl: slack.apiUrl,
          userMapFile,
          STORE_URL: redis.url,
          OUTBOX_INTERVAL_MS: '300',
          OUTBOX_CLAIM_TTL_MS: '3000',
        }),
      );
      await slack.waitFor(() => slack.responses('good').length >= 1, 15_000).catch(() => {});
      expect(child.proc.exitCode, child.output()).toBeNull();
      expect(child.proc.signalCode).toBeNull();
      expect(d3.closeCalls()).toHaveLength(1);
      expect(JSON.stringify(slack.responses('good'))).toContain('Closed 20261201-77 in D3');
    },
    40_000,
  );
});
