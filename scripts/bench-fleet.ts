/**
 * `npm run bench:fleet` (also the last part of `npm run bench`): the D3 budget and the durable close
 * queue, measured at the fake D3. Instances are the built app (`node dist/close-incident.mjs`) as child
 * processes; the fakes run in a process of their own (scripts/bench-fakes.ts), so their clock is not the
 * load generator's. Three runs, each offering FLEET_CLOSES closes at once
 * (a queue far deeper than one second of D3_MAX_RPS):
 *   1. one instance, sqlite store (the in-process limiter);
 *   2. FLEET_INSTANCES instances on one Redis (the fleet budget in Redis);
 *   3. the same fleet, one instance SIGKILLed FLEET_KILL_AFTER_MS after the closes were acknowledged:
 *      how many closes reach D3 (once each) and how many analysts are told, and when.
 * Figures: most D3 calls in any sliding one-second window, and the drain rate (close calls per second
 * from the first to the last, as % of D3_MAX_RPS). Knobs (env): FLEET_MAX_RPS (40), FLEET_CLOSES (300),
 * FLEET_INSTANCES (3), FLEET_KILL_AFTER_MS (2000), BENCH_SKIP_BUILD=1.
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChildApp, startChildApp } from '../test/support/child-app.ts';
import { slashCommandBody } from '../test/support/fixtures.ts';
import { defaultUserMap, harnessEnv, signingSecret } from '../test/support/harness.ts';
import { startRedis } from '../test/support/redis.ts';
import { postSigned } from '../test/support/sign.ts';
import type { FakeStats, FakesReply, FakesRequest } from './bench-fakes.ts';

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const maxRps = num('FLEET_MAX_RPS', 40);
const closes = num('FLEET_CLOSES', 300);
const instances = num('FLEET_INSTANCES', 3);
const killAfterMs = num('FLEET_KILL_AFTER_MS', 2_000);
const root = new URL('../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'close-incident-fleet-'));
const userMapFile = join(dir, 'users.yml');
writeFileSync(userMapFile, defaultUserMap);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Most requests that arrived within any one-second window [t, t + 1000). */
function maxPerSlidingSecond(times: number[]): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < t.length; j++) {
    while ((t[j] ?? 0) - (t[i] ?? 0) >= 1000) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

/** The fakes' process (scripts/bench-fakes.ts), driven over IPC. */
function startFakesProcess() {
  const proc = fork(join(root, 'scripts/bench-fakes.ts'), [], {
    cwd: root,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = <T extends FakesReply['type']>(m: FakesRequest, want: T) =>
    new Promise<Extract<FakesReply, { type: T }>>((resolve, reject) => {
      proc.once('message', (r: FakesReply) =>
        r.type === want ? resolve(r as Extract<FakesReply, { type: T }>) : reject(new Error(`fakes: ${r.type}`)),
      );
      proc.send(m);
    });
  return {
    start: () => ask({ type: 'start', d3DelayMs: 100 }, 'started'),
    stats: () => ask({ type: 'stats' }, 'stats'),
    stop: () => proc.send({ type: 'stop' } satisfies FakesRequest),
  };
}
type FakesProc = ReturnType<typeof startFakesProcess>;
interface Fakes {
  proc: FakesProc;
  d3Url: string;
  slackApiUrl: string;
  responseUrl: string;
}

/** Polls the fakes until `done(stats)` or maxMs passed. */
async function until(f: Fakes, done: (s: FakeStats) => boolean, maxMs: number): Promise<FakeStats> {
  const t = performance.now();
  for (;;) {
    const stats = await f.proc.stats();
    if (done(stats) || performance.now() - t > maxMs) return stats;
    await sleep(250);
  }
}

async function fleetOf(n: number, fakes: Fakes, store: (i: number) => string): Promise<ChildApp[]> {
  const env = harnessEnv({
    d3Url: fakes.d3Url,
    slackApiUrl: fakes.slackApiUrl,
    userMapFile,
    D3_MAX_RPS: String(maxRps),
    D3_QUEUE_MAX: String(closes + 10),
    D3_TIMEOUT_MS: '15000',
    D3_RETRY_DEADLINE_MS: '60000',
    // The takeover is seen within a few seconds (production defaults: 60 s claim, 30 s interval).
    OUTBOX_CLAIM_TTL_MS: '3000',
    OUTBOX_INTERVAL_MS: '1000',
  });
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      startChildApp({ ...env, STORE_URL: store(i) }, { entry: 'dist/close-incident.mjs' }),
    ),
  );
}

/** Offers every close at once, spread over the instances; resolves when all are acknowledged. */
async function offer(apps: ChildApp[], fakes: Fakes, tag: string): Promise<number> {
  const acks = await Promise.all(
    Array.from({ length: closes }, (_, i) =>
      postSigned(
        apps[i % apps.length]!.eventsUrl,
        slashCommandBody('close-command.form', {
          user_id: 'U1234',
          text: `${tag}-${i} bench close`,
          response_url: fakes.responseUrl,
          trigger_id: `${Date.now()}.4412345678.${tag}${i}`,
        }),
        { secret: signingSecret },
      ),
    ),
  );
  return acks.filter((a) => a.status === 200).length;
}

function figures(stats: FakeStats) {
  const closeTimes = stats.d3Closes.map((c) => c.at);
  const first = Math.min(...closeTimes);
  const last = Math.max(...closeTimes);
  const perS = closeTimes.length > 1 ? ((closeTimes.length - 1) * 1000) / (last - first) : Number.NaN;
  return {
    closeCalls: closeTimes.length,
    distinctIncidents: new Set(stats.d3Closes.map((c) => c.incident)).size,
    maxPerSlidingSecond: maxPerSlidingSecond(stats.d3Times),
    drainPerS: perS,
    drainPct: (perS / maxRps) * 100,
  };
}

/** Outcomes told per incident (response_url texts name it: "Closed k-12 in D3 …"). */
function toldPerIncident(stats: FakeStats, tag: string): Map<string, number> {
  const told = new Map<string, number>();
  for (const text of stats.responseTexts) {
    const n = new RegExp(`\\b(${tag}-\\d+)\\b`).exec(text)?.[1];
    if (n) told.set(n, (told.get(n) ?? 0) + 1);
  }
  return told;
}

async function withFakes<T>(proc: FakesProc, fn: (f: Fakes) => Promise<T>): Promise<T> {
  const started = await proc.start();
  return fn({ proc, ...started });
}

const stopAll = async (apps: ChildApp[]) => {
  for (const a of apps) if (a.proc.exitCode === null && a.proc.signalCode === null) a.kill('SIGTERM');
  await Promise.all(apps.map((a) => a.exited));
};

async function drainRun(proc: FakesProc, label: string, n: number, store: (i: number) => string) {
  return withFakes(proc, async (fakes) => {
    const apps = await fleetOf(n, fakes, store);
    const acked = await offer(apps, fakes, `d${n}`);
    const stats = await until(fakes, (s) => s.responses.total >= closes, 120_000);
    if (process.env.FLEET_DEBUG) console.log([...new Set(stats.responseTexts.map((t) => t.replace(/d\d-\d+/g, 'N')))]);
    await stopAll(apps);
    return { label, acked, ...figures(stats) };
  });
}

async function killRun(proc: FakesProc, redisUrl: string) {
  return withFakes(proc, async (fakes) => {
    const apps = await fleetOf(instances, fakes, () => redisUrl);
    const acked = await offer(apps, fakes, 'k');
    await sleep(killAfterMs);
    const victim = apps[0]!;
    const sentAtKill = (await fakes.proc.stats()).d3CloseCalls;
    victim.kill('SIGKILL');
    const killedAt = performance.now();
    await victim.exited;
    await until(fakes, (s) => s.d3CloseCalls >= closes && toldPerIncident(s, 'k').size >= closes, 120_000);
    const doneS = (performance.now() - killedAt) / 1000;
    await sleep(2_000); // room for a second close or a second outcome to show
    const stats = await fakes.proc.stats();
    await stopAll(apps.slice(1));
    const told = toldPerIncident(stats, 'k');
    const twice = [...told.values()].filter((n) => n > 1).length;
    return { acked, sentAtKill, doneS, told: told.size, twice, ...figures(stats) };
  });
}

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');

async function main(o: { build?: boolean } = {}) {
  if ((o.build ?? true) && !process.env.BENCH_SKIP_BUILD)
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  const redis = await startRedis();
  if (!redis) throw new Error('bench:fleet needs redis-server');
  console.log(
    `\n# fleet: D3_MAX_RPS=${maxRps}, ${closes} closes offered at once, fake D3 answers in 100 ms, built app, Node ${process.version}`,
  );
  const proc = startFakesProcess();
  const rows = [await drainRun(proc, 'one instance (sqlite)', 1, (i) => `sqlite://${join(dir, `one-${i}.sqlite`)}`)];
  rows.push(await drainRun(proc, `${instances} instances, one Redis`, instances, () => redis.url));
  const L = [
    '| Run | Acked | D3 close calls | Distinct incidents | D3 calls, max in a sliding 1 s | Drain (close calls/s) | Drain % of D3_MAX_RPS |',
    '|---|--:|--:|--:|--:|--:|--:|',
    ...rows.map(
      (r) =>
        `| ${r.label} | ${r.acked} | ${r.closeCalls} | ${r.distinctIncidents} | ${r.maxPerSlidingSecond} | ${f1(r.drainPerS)} | ${f1(r.drainPct)}% |`,
    ),
  ];
  const k = await killRun(proc, redis.url);
  proc.stop();
  L.push(
    '',
    `SIGKILL of one of ${instances} instances ${killAfterMs / 1000} s after ${k.acked} closes were acknowledged (${k.sentAtKill} had reached D3): ` +
      `${k.closeCalls} close calls for ${k.distinctIncidents} distinct incidents, ${k.told} analysts told the outcome (${k.twice} told twice), ` +
      `all done ${f1(k.doneS)} s after the kill (claim TTL 3 s); D3 calls max ${k.maxPerSlidingSecond} in a sliding 1 s.`,
  );
  await redis.stop();
  console.log(L.join('\n'));
  return L.join('\n');
}

export const benchFleet = main;

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error('bench:fleet failed:', e instanceof Error ? (e.stack ?? e.message) : e);
      process.exit(1);
    },
  );
}
