import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface RedisServer {
  url: string;
  stop(): Promise<void>;
}

const installHint = 'apt-get install redis-server';
let warned = false;

function findRedisServer(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'redis-server'))) return join(dir, 'redis-server');
  }
  return undefined;
}

/** Under CI a missing redis-server fails the Redis tests instead of skipping them. */
export function redisRequired(): boolean {
  return process.env.CI === 'true';
}

/** Sync check for `describe.skipIf(!redisAvailable())`; true under CI even without the binary, so CI fails loudly. */
export function redisAvailable(): boolean {
  if (findRedisServer()) return true;
  if (redisRequired()) return true;
  if (!warned) {
    warned = true;
    process.stderr.write(`\n!! redis-server not found: SKIPPING Redis tests (${installHint})\n\n`);
  }
  return false;
}

/**
 * Spawns a throwaway redis-server on a free loopback port (or on `port`, to bring a stopped one back);
 * undefined when the binary is missing (outside CI).
 */
export async function startRedis(opts: { port?: number } = {}): Promise<RedisServer | undefined> {
  const bin = findRedisServer();
  if (!bin) {
    if (redisRequired()) throw new Error(`redis-server not found on PATH and CI=true: ${installHint}`);
    redisAvailable();
    return undefined;
  }
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = opts.port ?? (await freePort());
    const child = spawn(
      bin,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-2_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    try {
      await waitForPong(port, child);
      const onExit = () => child.kill('SIGKILL');
      process.once('exit', onExit);
      return {
        url: `redis://127.0.0.1:${port}/0`,
        stop: async () => {
          process.off('exit', onExit);
          await stopChild(child);
        },
      };
    } catch (e) {
      lastError = new Error(`redis-server did not start on port ${port}: ${(e as Error).message}\n${output}`);
      await stopChild(child);
    }
  }
  throw lastError;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitForPong(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited (${child.exitCode})`);
    if (await pings(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no PONG within 10 s');
}

function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}
