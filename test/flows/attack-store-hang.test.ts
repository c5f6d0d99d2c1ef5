import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';
import { type RedisServer, redisAvailable, startRedis } from '../support/redis.ts';

// Attack on "a confirmed closure survives a store outage" (issue 7.4) with the outage that does not
// refuse connections: Redis stops answering while its socket stays open (a network partition that
// drops packets, a paused VM, a long fork). Nothing fails fast; every store call just waits.
const N = '20200526-23';

/** A TCP relay to Redis that, once frozen, swallows everything in both directions (a partition). */
async function partitionableProxy(target: URL) {
  let frozen = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d) => frozen || upstream.write(d));
    upstream.on('data', (d) => frozen || client.write(d));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${port}/0`,
    freeze: () => {
      frozen = true;
    },
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe.skipIf(!redisAvailable())('attack: Redis stops answering while D3 is closing the incident', () => {
  let redis: RedisServer | undefined;
  let proxy: Awaited<ReturnType<typeof partitionableProxy>> | undefined;
  let h: Harness | undefined;
  afterEach(async () => {
    await proxy?.stop();
    await h?.stop();
    await redis?.stop();
    h = undefined;
    proxy = undefined;
    redis = undefined;
  });

  it('still tells the analyst and posts the summary, instead of waiting on the store forever', async () => {
    redis = await startRedis();
    if (!redis) throw new Error('redis-server is required here');
    proxy = await partitionableProxy(new URL(redis.url));
    h = await startHarness({ env: { STORE_URL: proxy.url } });
    h.d3.script('close', { fixture: 'close-ok.json', delayMs: 600 });
    await h.command({ text: `${N} False positive` });
    await h.slack.waitFor(() => h!.d3.closeCalls().length === 1);
    proxy.freeze();

    await h.slack.waitFor(() => h!.slack.responses().length === 1, 25_000);
    expect((h.slack.responses()[0] as { text: string }).text).toContain(`Closed ${N} in D3`);
    expect(h.slack.messages('C1234').filter((m) => String(m.text).includes(N))).toHaveLength(1);
  }, 40_000);
});
