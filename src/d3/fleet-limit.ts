import { CloseError } from '../domain/errors.ts';
import { ARRIVAL_MS, type RateLimiter, shuttingDown } from './rate-limit.ts';

/** The one command the fleet limiter needs from Redis (node-redis's `eval`, as @keyv/redis's client has it). */
export interface SlotStore {
  eval(script: string, o: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

export interface FleetLimiterOptions {
  redis: SlotStore;
  /** D3_MAX_RPS: the ceiling for every instance together. */
  maxRps: number;
  queueMax: number;
  key?: string;
  onError?: (e: unknown) => void;
}

// GCRA on Redis's own clock (TIME): each call reserves the next slot of the whole fleet, `spacing`
// after the last one reserved, and answers the slot and Redis's time, both in ms.
const reserveScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], string.format('%.3f', slot + tonumber(ARGV[1])), 'PX', math.ceil(slot - now) + 60000)
return { string.format('%.3f', slot), string.format('%.3f', now) }`;

/**
 * Redis's clock as seen from here, NTP-style: each reservation is a sample (Redis's time against the
 * midpoint of our send and receive), and the sample with the shortest round trip among the recent ones
 * is trusted, its error at most half that round trip. A reply that waited in a busy event loop thus
 * never shifts the schedule; it only makes that one slot late (and given up).
 */
function redisClock() {
  const samples: Array<{ rtt: number; offset: number }> = [];
  return {
    sample(sent: number, received: number, redisNow: number) {
      samples.push({ rtt: received - sent, offset: redisNow - (sent + received) / 2 });
      if (samples.length > 64) samples.shift();
    },
    /** Redis time minus ours, and how wrong that may be. */
    best() {
      let b = samples[0] ?? { rtt: 0, offset: 0 };
      for (const x of samples) if (x.rtt < b.rtt) b = x;
      return { offset: b.offset, error: b.rtt / 2 };
    },
  };
}

/**
 * How late (after its slot, on Redis's clock) an instance may still start a call. Instances are separate
 * processes whose timers and replies run late under load, and each slot given up is a slot lost to the
 * whole fleet, so the allowance is wider than one process's (rate-limit.ts LATE_MS), paid for in spacing.
 */
const FLEET_LATE_MS = 25;

/**
 * A reservation Redis has not answered by then is given up (the caller is not sent): a partitioned
 * Redis keeps its socket open and never answers, and node-redis has no command timeout of its own.
 * A late answer only wastes that slot, never spends one twice.
 */
const RESERVE_TIMEOUT_MS = 3_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
const localNow = () => performance.timeOrigin + performance.now();

/**
 * D3_MAX_RPS for the whole fleet (STORE_URL=redis://). Why not a library: rate-limiter-flexible's Redis
 * limiter keeps whole-second windows (EX seconds), which lets 2× through across a window edge, and
 * BullMQ's limiter paces jobs, not each D3 call (retries and state checks included). So: one slot at a
 * time per instance, for the first caller of its FIFO queue, started at the slot's time on Redis's
 * clock. A slot is used only when this process starts the call within FLEET_LATE_MS of it; a later start is
 * given up and a new slot reserved, so a stalled instance never bunches its calls against the others'.
 */
export function createFleetLimiter(o: FleetLimiterOptions): RateLimiter {
  const key = o.key ?? 'ci:d3:next-slot';
  const spacing = String((1000 + ARRIVAL_MS + FLEET_LATE_MS) / o.maxRps);
  const waiting: Array<{ resolve: () => void; reject: (e: CloseError) => void }> = [];
  const clock = redisClock();
  let pumping = false;
  let closed = false;

  /** True when a slot was reserved and reached in time; the caller may start now. */
  async function takeSlot(): Promise<boolean> {
    const sent = localNow();
    const [slot, redisNow] = (
      (await within(o.redis.eval(reserveScript, { keys: [key], arguments: [spacing] }), RESERVE_TIMEOUT_MS)) as string[]
    ).map(Number) as [number, number];
    clock.sample(sent, localNow(), redisNow);
    const { offset, error } = clock.best();
    const at = slot - offset;
    const wait = at - localNow();
    if (wait > 0) await sleep(wait);
    return localNow() - at + error <= FLEET_LATE_MS;
  }

  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    try {
      while (waiting.length > 0 && !closed) {
        let ok: boolean;
        try {
          ok = await takeSlot();
        } catch (e) {
          o.onError?.(e);
          // The budget cannot be read: this caller is not sent (the retry loop may try again later).
          const reason = 'the fleet rate limit (Redis) did not answer';
          waiting.shift()?.reject(new CloseError('d3_unavailable', { notSent: true, reason }));
          continue;
        }
        if (ok && !closed) waiting.shift()?.resolve();
      }
    } finally {
      pumping = false;
    }
  }

  return {
    acquire() {
      if (closed) return Promise.reject(shuttingDown());
      if (waiting.length >= o.queueMax) {
        return Promise.reject(new CloseError('queue_full', { reason: `${waiting.length} calls already wait for D3` }));
      }
      return new Promise<void>((resolve, reject) => {
        waiting.push({ resolve, reject });
        void pump();
      });
    },
    depth: () => waiting.length,
    close() {
      closed = true;
      for (const w of waiting.splice(0)) w.reject(shuttingDown());
    },
    isClosed: () => closed,
  };
}

/** Opens a Redis connection of its own for the budget (STORE_URL's), so store traffic never delays a slot. */
export async function connectFleetLimiter(url: string, o: Omit<FleetLimiterOptions, 'redis'>) {
  const { createClient } = await import('@keyv/redis');
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 5_000, reconnectStrategy: (n) => Math.min(2 ** n * 100, 2_000) },
  });
  // Outages surface as rejected reservations (onError); the event only must not crash the process.
  client.on('error', () => {});
  await client.connect();
  const limiter = createFleetLimiter({ ...o, redis: client });
  return {
    limiter,
    async disconnect() {
      // close() waits for every reply still due: a partitioned Redis would hold the shutdown forever.
      if (client.isReady)
        await within(client.close(), RESERVE_TIMEOUT_MS).catch(() => client.isOpen && client.destroy());
      else if (client.isOpen) client.destroy();
    },
  };
}
