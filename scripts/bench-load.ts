/**
 * Benchmark helper: the load generator. Signed /close-incident requests over a keep-alive undici Pool,
 * open-loop at a fixed offered rate (sends are scheduled by time, never wait for answers) or
 * closed-loop at a fixed concurrency; ack latency per request, and the statistics the bench prints.
 */
import { Pool } from 'undici';
import { slashCommandPayload } from '../test/support/fixtures.ts';
import { signingSecret } from '../test/support/harness.ts';
import { signSlackRequest } from '../test/support/sign.ts';
import { sleep } from './bench-proc.ts';

export interface Load {
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** Ack latency per answered request: from handing the request to the socket pool to the end of the reply. */
  lat: number[];
  /** When each answered request was sent (ms after the run started), parallel to `lat`. */
  sentAt: number[];
  /** Largest delay between a request's scheduled time and its sending (the generator's own lag). */
  maxSendLagMs: number;
  /** From the first send until every answer (or error) arrived. */
  wallMs: number;
  /** Date.now() at the start, to compare with the fakes' arrival times. */
  startedAt: number;
  /** performance.now() at the start. */
  t0: number;
  /** Closes refused in the acknowledgement itself because the D3 queue was full (no later answer comes). */
  ackRefused: number;
}

const form = 'application/x-www-form-urlencoded';

/** Distinct incident numbers and trigger_ids, so neither per-incident locks nor de-duplication serialize. */
export function bodyMaker(tag: string, responseUrl: string) {
  const base = slashCommandPayload('close-command.form', { response_url: responseUrl, user_id: 'U1234' });
  let seq = 0;
  return () => {
    seq += 1;
    const incident = `${tag}-${seq}`;
    const trigger_id = `${Date.now()}.4412345678.${tag}${seq.toString(16).padStart(8, '0')}`;
    // BENCH_TEXT (bench.ts): e.g. `help`, to measure the acknowledgement path without closes.
    const text = process.env.BENCH_TEXT ?? `${incident} Benchmark close ${seq}`;
    return new URLSearchParams({ ...base, text, trigger_id }).toString();
  };
}

export function newPool(port: number) {
  return new Pool(`http://127.0.0.1:${port}`, {
    connections: 256,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
}

function newLoad(): Load {
  return {
    sent: 0,
    ok: 0,
    non2xx: 0,
    errors: 0,
    ackRefused: 0,
    lat: [],
    sentAt: [],
    maxSendLagMs: 0,
    wallMs: 0,
    startedAt: Date.now(),
    t0: performance.now(),
  };
}

async function sendOne(pool: Pool, body: string, load: Load): Promise<void> {
  const headers = { 'content-type': form, ...signSlackRequest(body, signingSecret) };
  load.sent++;
  const t = performance.now();
  try {
    const res = await pool.request({ path: '/slack/events', method: 'POST', headers, body });
    if (/too many closes/i.test(await res.body.text())) load.ackRefused++;
    load.lat.push(performance.now() - t);
    load.sentAt.push(t - load.t0);
    if (res.statusCode >= 200 && res.statusCode < 300) load.ok++;
    else load.non2xx++;
  } catch {
    load.errors++;
  }
}

/** Open loop: request i is sent at start + i/rate whatever happened to the earlier ones. */
export async function openLoop(pool: Pool, rate: number, durationMs: number, next: () => string): Promise<Load> {
  const load = newLoad();
  const total = Math.round((rate * durationMs) / 1000);
  const interval = 1000 / rate;
  const pending: Promise<void>[] = [];
  const start = load.t0;
  let i = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (i < total && start + i * interval <= now) {
        load.maxSendLagMs = Math.max(load.maxSendLagMs, now - (start + i * interval));
        pending.push(sendOne(pool, next(), load));
        i++;
      }
      if (i >= total) resolve();
      else setTimeout(tick, Math.max(0, start + i * interval - performance.now()));
    };
    tick();
  });
  await Promise.race([Promise.allSettled(pending), sleep(15_000)]);
  load.wallMs = performance.now() - start;
  return load;
}

/** Closed loop: `concurrency` clients, each sending its next request when the last one is answered. */
export async function closedLoop(
  pool: Pool,
  concurrency: number,
  durationMs: number,
  next: () => string,
): Promise<Load> {
  const load = newLoad();
  const start = load.t0;
  const end = start + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) await sendOne(pool, next(), load);
    }),
  );
  load.wallMs = performance.now() - start;
  return load;
}

// ── statistics ────────────────────────────────────────────────────────────────────────────────────

export function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

export function ackStats(load: Load) {
  const s = [...load.lat].sort((a, b) => a - b);
  return { p50: pct(s, 50), p99: pct(s, 99), max: s.at(-1) ?? Number.NaN, over1s: s.filter((x) => x > 1000).length };
}

/** Most calls that arrived within any one-second window. */
export function maxPerSecond(times: number[]): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < t.length; j++) {
    while ((t[j] ?? 0) - (t[i] ?? 0) >= 1000) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

/** Audit lines of the app (`close attempt: failed (queue_full)`), counted by outcome and code. */
export function outcomes(log: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of log.matchAll(/"msg":"close attempt: ([a-z_]+)(?: \(([a-z0-9_]+)\))?"/g)) {
    const key = m[2] ? `${m[1]}(${m[2]})` : (m[1] ?? '?');
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

export const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '–');
export const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');
export const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');
export const ms = (x: number) =>
  Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0)) : '–';

/** Per-second count, p50 and max of ack latency by send time (for investigating a run). */
export function timeline(load: Load): string {
  const buckets = new Map<number, number[]>();
  load.lat.forEach((l, i) => {
    const b = Math.floor((load.sentAt[i] ?? 0) / 1000);
    const list = buckets.get(b) ?? [];
    list.push(l);
    buckets.set(b, list);
  });
  return [...buckets]
    .sort((a, b) => a[0] - b[0])
    .map(([b, ls]) => {
      const s = ls.sort((x, y) => x - y);
      return `    t=${b}s n=${s.length} p50=${ms(pct(s, 50))} max=${ms(s.at(-1) ?? Number.NaN)}`;
    })
    .join('\n');
}
