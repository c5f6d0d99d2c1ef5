/**
 * `npm run bench`: builds the app, then runs the built app (`node dist/src/main.js`, a process of its
 * own) against the fake D3 and fake Slack (another process, scripts/bench-fakes.ts) on loopback and
 * drives signed /close-incident requests at it, open-loop at fixed offered rates and closed-loop at a
 * fixed concurrency. A bare Bolt app (scripts/bare-bolt.ts) that only acks takes the same load in the
 * same run, and our ack latencies are printed as ratios to it. Ends with a Markdown table, also written
 * to bench/results.md. Knobs (env): BENCH_RUN_MS, BENCH_STORE_URL, BENCH_GROWTH_CLOSURES, BENCH_SKIP_BUILD.
 */
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { slashCommandPayload } from '../test/support/fixtures.ts';
import { defaultUserMap, harnessEnv, signingSecret } from '../test/support/harness.ts';
import { signSlackRequest } from '../test/support/sign.ts';
import type { FakeStats, FakesReply, FakesRequest } from './bench-fakes.ts';

const root = new URL('../', import.meta.url).pathname;
const wallStart = performance.now();
const num = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

const plan = {
  rates: [50, 200, 500],
  runMs: num('BENCH_RUN_MS', 8_000),
  concurrency: 16,
  concurrencyMs: 5_000,
  d3DelayMs: 500,
  /** After the last send, wait at most this long for queued closures to finish before stopping the app. */
  drainMaxMs: 4_000,
  slow: { d3DelayMs: 2_000, count: 20, rate: 10 },
  growth: { warmup: 1_000, closures: num('BENCH_GROWTH_CLOSURES', 10_000), rate: 400, d3DelayMs: 20 },
  noiseMb: 10,
};
const storeUrlFor = (dir: string) => process.env.BENCH_STORE_URL ?? `sqlite://${join(dir, 'bench.sqlite')}`;
/** Hard bound on the whole run, so a wedged child can never hang the bench. */
const WATCHDOG_MS = 6 * 60_000;

// ── child processes ────────────────────────────────────────────────────────────────────────────────

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
const watchdog = setTimeout(() => {
  console.error(`bench: still running after ${WATCHDOG_MS / 1000} s; giving up`);
  process.exit(2);
}, WATCHDOG_MS);
watchdog.unref();

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Launched {
  pid: number;
  port: number;
  /** Spawn to the ready line on stdout. */
  startupMs: number;
  logFile: string;
  log(): string;
  rssMb(): number;
  stop(): Promise<void>;
}

/** Spawns `node <args>` with its output going straight to a file (no pipe for the bench to drain). */
async function launch(args: string[], env: Record<string, string>, logFile: string): Promise<Launched> {
  const fd = openSync(logFile, 'w');
  const started = performance.now();
  const proc = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  children.add(proc);
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const log = () => readFileSync(logFile, 'utf8');
  let port = 0;
  const deadline = started + 20_000;
  while (port === 0) {
    const m = /"port":(\d+)[^\n]*(close-incident ready|bare-bolt ready)/.exec(log());
    if (m) port = Number(m[1]);
    else if (proc.exitCode !== null || proc.signalCode !== null)
      throw new Error(`${args.join(' ')} exited before it was ready:\n${log()}`);
    else if (performance.now() > deadline) throw new Error(`${args.join(' ')} not ready after 20 s:\n${log()}`);
    else await sleep(2);
  }
  const startupMs = performance.now() - started;
  const pid = proc.pid ?? 0;
  return {
    pid,
    port,
    startupMs,
    logFile,
    log,
    rssMb: () => {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : Number.NaN;
    },
    async stop() {
      // The bench needs no graceful drain (it has measured what it wanted): kill and wait, bounded.
      proc.kill('SIGKILL');
      await Promise.race([exited, sleep(5_000)]);
      children.delete(proc);
    },
  };
}

/** Samples a process's RSS every 200 ms until stopped; keeps the maximum. */
function rssSampler(app: Launched) {
  let max = app.rssMb();
  const timer = setInterval(() => {
    try {
      max = Math.max(max, app.rssMb());
    } catch {
      // Process gone.
    }
  }, 200);
  return {
    stop() {
      clearInterval(timer);
      return max;
    },
  };
}

/** The fakes run in their own process, driven over IPC. */
function startFakesProcess() {
  const proc = fork(join(root, 'scripts/bench-fakes.ts'), [], {
    cwd: root,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(proc);
  const ask = <T extends FakesReply['type']>(m: FakesRequest, want: T) =>
    new Promise<Extract<FakesReply, { type: T }>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fakes did not answer ${m.type}`)), 15_000);
      proc.once('message', (r: FakesReply) => {
        clearTimeout(timer);
        if (r.type === want) resolve(r as Extract<FakesReply, { type: T }>);
        else reject(new Error(`fakes: ${r.type === 'error' ? r.message : `unexpected ${r.type}`}`));
      });
      proc.send(m);
    });
  return {
    start: (d3DelayMs: number) => ask({ type: 'start', d3DelayMs }, 'started'),
    stats: () => ask({ type: 'stats' }, 'stats'),
    async stop() {
      proc.send({ type: 'stop' } satisfies FakesRequest);
      await Promise.race([new Promise((r) => proc.once('exit', r)), sleep(3_000)]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
      children.delete(proc);
    },
  };
}
type Fakes = ReturnType<typeof startFakesProcess>;

// ── load generation ───────────────────────────────────────────────────────────────────────────────

interface Load {
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** Ack latency per answered request: from handing the request to the socket pool to the end of the reply. */
  lat: number[];
  /** Largest delay between a request's scheduled time and its sending (the generator's own lag). */
  maxSendLagMs: number;
  wallMs: number;
  startedAt: number;
}

const form = 'application/x-www-form-urlencoded';

/** Distinct incident numbers and trigger_ids, so neither per-incident locks nor de-duplication serialize. */
function bodyMaker(tag: string, responseUrl: string) {
  const base = slashCommandPayload('close-command.form', { response_url: responseUrl, user_id: 'U1234' });
  let seq = 0;
  return () => {
    seq += 1;
    const incident = `${tag}-${seq}`;
    const trigger_id = `${Date.now()}.4412345678.${tag}${seq.toString(16).padStart(8, '0')}`;
    return new URLSearchParams({ ...base, text: `${incident} Benchmark close ${seq}`, trigger_id }).toString();
  };
}

function newPool(port: number) {
  return new Pool(`http://127.0.0.1:${port}`, {
    connections: 256,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
}

function newLoad(): Load {
  return { sent: 0, ok: 0, non2xx: 0, errors: 0, lat: [], maxSendLagMs: 0, wallMs: 0, startedAt: Date.now() };
}

async function sendOne(pool: Pool, body: string, load: Load): Promise<void> {
  const headers = { 'content-type': form, ...signSlackRequest(body, signingSecret) };
  load.sent++;
  const t = performance.now();
  try {
    const res = await pool.request({ path: '/slack/events', method: 'POST', headers, body });
    await res.body.text();
    load.lat.push(performance.now() - t);
    if (res.statusCode >= 200 && res.statusCode < 300) load.ok++;
    else load.non2xx++;
  } catch {
    load.errors++;
  }
}

/** Open loop: request i is sent at start + i/rate whatever happened to the earlier ones. */
async function openLoop(pool: Pool, rate: number, durationMs: number, next: () => string): Promise<Load> {
  const load = newLoad();
  const total = Math.round((rate * durationMs) / 1000);
  const interval = 1000 / rate;
  const pending: Promise<void>[] = [];
  const start = performance.now();
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
async function closedLoop(pool: Pool, concurrency: number, durationMs: number, next: () => string): Promise<Load> {
  const load = newLoad();
  const start = performance.now();
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

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

function ackStats(load: Load) {
  const s = [...load.lat].sort((a, b) => a - b);
  return { p50: pct(s, 50), p99: pct(s, 99), max: s.at(-1) ?? Number.NaN, over1s: s.filter((x) => x > 1000).length };
}

/** Most calls that arrived within any one-second window. */
function maxPerSecond(times: number[]): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < t.length; j++) {
    while ((t[j] ?? 0) - (t[i] ?? 0) >= 1000) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

/** Audit lines of the app (`close attempt: failed (queue_full)`), counted by outcome and code. */
function outcomes(log: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of log.matchAll(/"msg":"close attempt: ([a-z_]+)(?: \(([a-z0-9_]+)\))?"/g)) {
    const key = m[2] ? `${m[1]}(${m[2]})` : (m[1] ?? '?');
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '–');
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const ms = (x: number) => (Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0)) : '–');

// ── runs ──────────────────────────────────────────────────────────────────────────────────────────

interface Row {
  app: 'bare Bolt' | 'close-incident';
  run: string;
  /** Offered rate (open loop) or undefined (closed loop). */
  rate?: number;
  load: Load;
  ack: ReturnType<typeof ackStats>;
  closuresPerS?: number;
  closuresTotal?: number;
  d3MaxPerS?: number;
  queueFull?: number;
  outcomes?: Record<string, number>;
  rssIdleMb: number;
  rssLoadMb: number;
  startupMs: number;
  drainMs?: number;
}

const dir = mkdtempSync(join(tmpdir(), 'close-incident-bench-'));
const userMapFile = join(dir, 'users.yml');
writeFileSync(userMapFile, defaultUserMap);
let logSeq = 0;

function ourEnv(fakes: { d3Url: string; slackApiUrl: string }, over: Record<string, string> = {}) {
  return harnessEnv({
    d3Url: fakes.d3Url,
    slackApiUrl: fakes.slackApiUrl,
    userMapFile,
    D3_MAX_RPS: '40',
    D3_QUEUE_MAX: '500',
    D3_TIMEOUT_MS: '15000',
    D3_RETRY_DEADLINE_MS: '60000',
    STORE_URL: storeUrlFor(join(dir, `store-${++logSeq}`)),
    LOG_LEVEL: 'info',
    OUTBOX_INTERVAL_MS: '30000',
    ...over,
  });
}

const childEnv = (env: Record<string, string>) => ({ PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env });

async function startOurs(env: Record<string, string>): Promise<Launched> {
  return launch(['dist/src/main.js'], childEnv(env), join(dir, `app-${logSeq}.log`));
}

/** Waits until every sent command has had its outcome posted to response_url, or maxMs passed. */
async function drain(fakes: Fakes, sent: number, maxMs: number): Promise<{ stats: FakeStats; ms: number }> {
  const t = performance.now();
  let stats = await fakes.stats();
  while (stats.responses.total < sent && performance.now() - t < maxMs) {
    await sleep(250);
    stats = await fakes.stats();
  }
  return { stats, ms: performance.now() - t };
}

async function benchBare(fakes: Fakes): Promise<Row[]> {
  const started = await fakes.start(0);
  const bare = await launch(
    ['--import', 'tsx', 'scripts/bare-bolt.ts'],
    childEnv({ SLACK_SIGNING_SECRET: signingSecret }),
    join(dir, 'bare.log'),
  );
  await sleep(1_000);
  const rssIdleMb = bare.rssMb();
  const pool = newPool(bare.port);
  const next = bodyMaker('BARE', started.responseUrl);
  const rows: Row[] = [];
  // Warm the connection pool and the JIT so the first measured run is not the cold one.
  await openLoop(pool, 200, 1_000, next);
  for (const rate of plan.rates) {
    const rss = rssSampler(bare);
    const load = await openLoop(pool, rate, plan.runMs, next);
    rows.push({
      app: 'bare Bolt',
      run: `${rate} req/s`,
      rate,
      load,
      ack: ackStats(load),
      rssIdleMb,
      rssLoadMb: rss.stop(),
      startupMs: bare.startupMs,
    });
    report(rows.at(-1));
  }
  const rss = rssSampler(bare);
  const load = await closedLoop(pool, plan.concurrency, plan.concurrencyMs, next);
  rows.push({
    app: 'bare Bolt',
    run: `concurrency ${plan.concurrency}`,
    load,
    ack: ackStats(load),
    rssIdleMb,
    rssLoadMb: rss.stop(),
    startupMs: bare.startupMs,
  });
  report(rows.at(-1));
  await pool.close();
  await bare.stop();
  return rows;
}

/** One run of ours on a fresh app and fresh fakes, so no queue or state carries over between runs. */
async function benchOurs(
  fakes: Fakes,
  run: { label: string; rate?: number; count?: number; concurrency?: number; durationMs: number; d3DelayMs: number },
): Promise<Row> {
  const started = await fakes.start(run.d3DelayMs);
  const app = await startOurs(ourEnv(started));
  await sleep(1_000);
  const rssIdleMb = app.rssMb();
  const pool = newPool(app.port);
  const tag = `I${logSeq}`;
  const next = bodyMaker(tag, started.responseUrl);
  const rss = rssSampler(app);
  let load: Load;
  if (run.rate !== undefined) {
    const durationMs = run.count !== undefined ? (run.count * 1000) / run.rate : run.durationMs;
    load = await openLoop(pool, run.rate, durationMs, next);
  } else load = await closedLoop(pool, run.concurrency ?? 1, run.durationMs, next);
  const drained = await drain(fakes, load.sent, Math.max(plan.drainMaxMs, run.d3DelayMs * 2));
  const rssLoadMb = rss.stop();
  const { stats } = drained;
  // Steady closures/s: summaries posted in the send window, shifted by one D3 delay.
  const from = load.startedAt + run.d3DelayMs;
  const window = Math.min(load.wallMs, run.rate === undefined ? run.durationMs : load.wallMs);
  const inWindow = stats.postTimes.filter((t) => t >= from && t < from + window).length;
  const row: Row = {
    app: 'close-incident',
    run: run.label,
    rate: run.rate,
    load,
    ack: ackStats(load),
    closuresPerS: inWindow / (window / 1000),
    closuresTotal: stats.postTimes.length,
    d3MaxPerS: maxPerSecond(stats.d3Times),
    queueFull: stats.responses.queueFull,
    outcomes: outcomes(app.log()),
    rssIdleMb,
    rssLoadMb,
    startupMs: app.startupMs,
    drainMs: drained.ms,
  };
  await pool.close();
  await app.stop();
  report(row);
  return row;
}

interface Growth {
  closures: number;
  rate: number;
  idleBeforeMb: number;
  loadMidMb: number;
  loadEndMb: number;
  idleAfterMb: number;
  closed: number;
  maxLoadMb: number;
  ack: ReturnType<typeof ackStats>;
  startupMs: number;
}

/** 10,000 closures at a rate D3 (fast, limit raised) can take, with RSS read idle, mid-run, at the end and idle again. */
async function benchGrowth(fakes: Fakes): Promise<{ growth: Growth; env: Record<string, string> }> {
  const g = plan.growth;
  const started = await fakes.start(g.d3DelayMs);
  const env = ourEnv(started, { D3_MAX_RPS: String(g.rate * 2), D3_QUEUE_MAX: String(g.closures + g.warmup) });
  const app = await startOurs(env);
  const pool = newPool(app.port);
  const next = bodyMaker(`G${logSeq}`, started.responseUrl);
  const warm = await openLoop(pool, g.rate, (g.warmup * 1000) / g.rate, next);
  await drain(fakes, warm.sent, 10_000);
  await sleep(2_000);
  const idleBeforeMb = app.rssMb();
  const rss = rssSampler(app);
  const half = (g.closures * 1000) / g.rate / 2;
  let loadMidMb = Number.NaN;
  const mid = setTimeout(() => {
    loadMidMb = app.rssMb();
  }, half);
  const load = await openLoop(pool, g.rate, half * 2, next);
  clearTimeout(mid);
  const loadEndMb = app.rssMb();
  const { stats } = await drain(fakes, warm.sent + load.sent, 15_000);
  const maxLoadMb = rss.stop();
  await sleep(3_000);
  const idleAfterMb = app.rssMb();
  await pool.close();
  await app.stop();
  const growth: Growth = {
    closures: load.sent,
    rate: g.rate,
    idleBeforeMb,
    loadMidMb,
    loadEndMb,
    idleAfterMb,
    closed: stats.postTimes.length - warm.sent,
    maxLoadMb,
    ack: ackStats(load),
    startupMs: app.startupMs,
  };
  console.log(
    `  growth: ${growth.closures} closures at ${g.rate}/s (${growth.closed} summaries posted): RSS idle ${f1(idleBeforeMb)} MB → mid ${f1(loadMidMb)} → end ${f1(loadEndMb)} → idle ${f1(idleAfterMb)} MB; ack p99 ${ms(growth.ack.p99)} ms`,
  );
  return { growth, env };
}

function report(r: Row | undefined): void {
  if (!r) return;
  const extra =
    r.app === 'close-incident'
      ? `, closures/s ${f1(r.closuresPerS ?? Number.NaN)} (total ${r.closuresTotal}), D3 max ${r.d3MaxPerS}/s, queue_full ${r.queueFull}, drain ${f1((r.drainMs ?? 0) / 1000)} s, outcomes ${JSON.stringify(r.outcomes)}`
      : '';
  console.log(
    `  ${r.app} ${r.run}: sent ${r.load.sent} (2xx ${r.load.ok}, other ${r.load.non2xx}, errors ${r.load.errors}) in ${f1(r.load.wallMs / 1000)} s; ack p50 ${ms(r.ack.p50)} p99 ${ms(r.ack.p99)} max ${ms(r.ack.max)} ms; send lag max ${ms(r.load.maxSendLagMs)} ms; RSS idle ${f1(r.rssIdleMb)} load ${f1(r.rssLoadMb)} MB${extra}`,
  );
}

// ── main ──────────────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  if (!process.env.BENCH_SKIP_BUILD) {
    console.log('> npm run build');
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  }
  const buildS = (performance.now() - wallStart) / 1000;
  console.log(`build done in ${f1(buildS)} s; bench files in ${dir}`);
  const fakes = startFakesProcess();
  const shown = ourEnv({ d3Url: '<fake D3>', slackApiUrl: '<fake Slack>' });
  const secretName = /TOKEN|SECRET|KEY$/;
  const envLine = Object.entries(shown)
    .filter(([k]) => !secretName.test(k))
    .map(
      ([k, v]) => `${k}=${k === 'STORE_URL' ? v.replace(dir, '$TMP') : k === 'USER_MAP_FILE' ? '$TMP/users.yml' : v}`,
    )
    .join(' ');
  console.log(`app env: ${envLine}`);
  console.log(
    `plan: rates ${plan.rates.join('/')} req/s × ${plan.runMs / 1000} s, concurrency ${plan.concurrency} × ${plan.concurrencyMs / 1000} s, fake D3 delay ${plan.d3DelayMs} ms; slow D3 ${plan.slow.d3DelayMs} ms × ${plan.slow.count} requests; growth ${plan.growth.closures} closures at ${plan.growth.rate}/s`,
  );

  console.log('\n# bare Bolt (ack only)');
  const bare = await benchBare(fakes);

  console.log('\n# close-incident (built app)');
  const ours: Row[] = [];
  for (const rate of plan.rates)
    ours.push(
      await benchOurs(fakes, { label: `${rate} req/s`, rate, durationMs: plan.runMs, d3DelayMs: plan.d3DelayMs }),
    );
  ours.push(
    await benchOurs(fakes, {
      label: `concurrency ${plan.concurrency}`,
      concurrency: plan.concurrency,
      durationMs: plan.concurrencyMs,
      d3DelayMs: plan.d3DelayMs,
    }),
  );
  const slow = await benchOurs(fakes, {
    label: `D3 answers in ${plan.slow.d3DelayMs / 1000} s`,
    rate: plan.slow.rate,
    count: plan.slow.count,
    durationMs: 0,
    d3DelayMs: plan.slow.d3DelayMs,
  });

  console.log('\n# RSS over many closures');
  const { growth, env: growthEnv } = await benchGrowth(fakes);
  await fakes.stop();

  const wallS = (performance.now() - wallStart) / 1000;
  const md = markdown({ bare, ours, slow, growth, growthEnv, envLine, wallS, buildS });
  mkdirSync(join(root, 'bench'), { recursive: true });
  writeFileSync(join(root, 'bench/results.md'), md);
  console.log(`\n${md}`);
  console.log(`(written to bench/results.md; total wall time ${f1(wallS)} s)`);
  rmSync(dir, { recursive: true, force: true });
}

function markdown(o: {
  bare: Row[];
  ours: Row[];
  slow: Row;
  growth: Growth;
  growthEnv: Record<string, string>;
  envLine: string;
  wallS: number;
  buildS: number;
}): string {
  const bareOf = (r: Row) => o.bare.find((b) => b.run === r.run);
  const lines: string[] = [];
  const cpu = cpus();
  lines.push('## Benchmark results', '');
  lines.push(
    `Node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'CPU'}, ${new Date().toISOString().slice(0, 16)}Z. ` +
      `App: \`node dist/src/main.js\` (own process), fakes in another process, load generator in a third; all on 127.0.0.1.`,
    '',
    `App environment: \`${o.envLine}\`; fake D3 answers after ${plan.d3DelayMs} ms. ` +
      `Open-loop runs last ${plan.runMs / 1000} s each, on a fresh app; the closed-loop run keeps ${plan.concurrency} requests in flight for ${plan.concurrencyMs / 1000} s. ` +
      `Baseline: a bare Bolt 5 app (default HTTPReceiver, handler only acks) under the same requests.`,
    '',
  );
  lines.push(
    '| Run | App | Sent | Ack p50 ms | Ack p99 ms | Ack max ms | p50 ÷ bare | p99 ÷ bare | Closures/s | D3 calls/s (max 1 s) | queue_full | RSS idle MB | RSS load MB |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  );
  const row = (r: Row, ratio: boolean) => {
    const b = ratio ? bareOf(r) : undefined;
    const cells = [
      r.run,
      r.app,
      String(r.load.sent),
      ms(r.ack.p50),
      ms(r.ack.p99),
      ms(r.ack.max),
      b ? `${f2(r.ack.p50 / b.ack.p50)}×` : '',
      b ? `${f2(r.ack.p99 / b.ack.p99)}×` : '',
      r.closuresPerS === undefined ? '' : f1(r.closuresPerS),
      r.d3MaxPerS === undefined ? '' : String(r.d3MaxPerS),
      r.queueFull === undefined ? '' : String(r.queueFull),
      f0(r.rssIdleMb),
      f0(r.rssLoadMb),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  };
  for (const r of o.bare) row(r, false);
  for (const r of o.ours) row(r, true);
  row(o.slow, false);
  lines.push('');
  lines.push(
    '_Closures/s_: summaries the fake Slack received via chat.postMessage during the send window (shifted by one D3 delay). ' +
      '_queue_full_: closes refused because D3_QUEUE_MAX closes already waited for a D3 slot (the analyst is told to retry; expected at offered rates above D3_MAX_RPS). ' +
      'Ack latency is measured by the client from sending the request to the end of the reply.',
    '',
  );
  const startups = [...o.ours, o.slow].map((r) => r.startupMs).sort((a, b) => a - b);
  lines.push(
    `Start-up to ready (spawn → "close-incident ready" line, ${startups.length} starts): median ${f0(pct(startups, 50))} ms, max ${f0(startups.at(-1) ?? Number.NaN)} ms` +
      ` (bare Bolt under tsx: ${f0(o.bare[0]?.startupMs ?? Number.NaN)} ms).`,
    '',
  );
  const g = o.growth;
  lines.push(
    `RSS over ${g.closures} closures at ${g.rate} req/s (fake D3 ${plan.growth.d3DelayMs} ms, D3_MAX_RPS=${o.growthEnv.D3_MAX_RPS}, D3_QUEUE_MAX=${o.growthEnv.D3_QUEUE_MAX}, after ${plan.growth.warmup} warm-up closures; ${g.closed} summaries posted):`,
    '',
    '| Idle before | Mid-run | End of run | Idle after (3 s) | Δ idle | Δ mid → end | Ack p99 ms | Ack max ms |',
    '|--:|--:|--:|--:|--:|--:|--:|--:|',
    `| ${f1(g.idleBeforeMb)} MB | ${f1(g.loadMidMb)} MB | ${f1(g.loadEndMb)} MB | ${f1(g.idleAfterMb)} MB | ${f1(g.idleAfterMb - g.idleBeforeMb)} MB | ${f1(g.loadEndMb - g.loadMidMb)} MB | ${ms(g.ack.p99)} | ${ms(g.ack.max)} |`,
    '',
  );

  const at200 = o.ours.find((r) => r.rate === 200);
  const bare200 = at200 && bareOf(at200);
  const ratio200 = at200 && bare200 ? at200.ack.p99 / bare200.ack.p99 : Number.NaN;
  const allOurs = [...o.ours, o.slow];
  const worstAck = Math.max(...allOurs.map((r) => r.ack.max), g.ack.max);
  const rssMax = Math.max(...allOurs.map((r) => r.rssLoadMb), g.maxLoadMb);
  const d3Max = Math.max(...allOurs.map((r) => r.d3MaxPerS ?? 0));
  const growthMb = Math.max(g.idleAfterMb - g.idleBeforeMb, g.loadEndMb - g.loadMidMb);
  const yes = (ok: boolean) => (ok ? '**met**' : '**not met**');
  lines.push(
    '| Target | Measured | |',
    '|---|---|---|',
    `| Ack p99 at 200 req/s ≤ 1.5 × bare Bolt's | ${f2(ratio200)}× (${ms(at200?.ack.p99 ?? Number.NaN)} vs ${ms(bare200?.ack.p99 ?? Number.NaN)} ms) | ${yes(ratio200 <= 1.5)} |`,
    `| No ack over 1 s at any rate tried | worst ${ms(worstAck)} ms | ${yes(worstAck <= 1000)} |`,
    `| RSS under load < 150 MB | max ${f1(rssMax)} MB | ${yes(rssMax < 150)} |`,
    `| No RSS growth over ${g.closures} closures beyond noise (±${plan.noiseMb} MB) | ${f1(growthMb)} MB | ${yes(growthMb <= plan.noiseMb)} |`,
    `| D3 calls/s under D3_MAX_RPS (40) | max ${d3Max} in any 1 s window | ${yes(d3Max <= 40)} |`,
    `| Ack with D3 answering in ${plan.slow.d3DelayMs / 1000} s well under 1 s | p99 ${ms(o.slow.ack.p99)} ms, max ${ms(o.slow.ack.max)} ms | ${yes(o.slow.ack.max < 500)} |`,
    '',
    `Total wall time ${f0(o.wallS)} s (build ${f0(o.buildS)} s).`,
    '',
  );
  return lines.join('\n');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error('bench failed:', e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  },
);
