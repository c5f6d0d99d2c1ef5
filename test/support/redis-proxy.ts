import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay to Redis that can stop answering while its sockets stay open (a partition that drops
 * packets, a paused VM, a long fork): nothing fails fast, every command just waits.
 * - `freeze()`: every connection, in both directions, from now on.
 * - `freezeWhen(match)`: from now on, each connection whose client sends a chunk matching `match` is
 *   swallowed from that chunk on (e.g. only the one connection that reads a given key).
 * - `pauseWhen(match)` / `resume()`: from the first chunk matching `match`, what clients send is held,
 *   not dropped, until resume() delivers it in order (a Redis that stalls, then answers everything).
 */
export async function partitionableRedisProxy(target: URL) {
  let freezeAll = false;
  let matcher: ((chunk: Buffer) => boolean) | undefined;
  let pauseMatcher: ((chunk: Buffer) => boolean) | undefined;
  let paused = false;
  const held: Array<() => void> = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    let frozen = false;
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d: Buffer) => {
      if (matcher?.(d)) frozen = true;
      if (!paused && pauseMatcher?.(d)) {
        paused = true;
        pauseMatcher = undefined;
      }
      if (frozen || freezeAll) return;
      if (paused) held.push(() => upstream.write(d));
      else upstream.write(d);
    });
    upstream.on('data', (d) => frozen || freezeAll || client.write(d));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${port}/0`,
    freeze: () => {
      freezeAll = true;
    },
    freezeWhen: (match: (chunk: Buffer) => boolean) => {
      matcher = match;
    },
    pauseWhen: (match: (chunk: Buffer) => boolean) => {
      pauseMatcher = match;
    },
    isPaused: () => paused,
    resume: () => {
      paused = false;
      for (const write of held.splice(0)) write();
    },
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export type PartitionableRedisProxy = Awaited<ReturnType<typeof partitionableRedisProxy>>;
