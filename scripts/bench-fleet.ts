/**
 * `npm run bench:fleet` (also the last part of `npm run bench`): the D3 budget and the durable close
 * queue, measured at the fake D3. Instances are the built app (`node dist/src/main.js`) as child
 * processes; the fakes run in this process. Three runs, each offering FLEET_CLOSES closes at once
 * (a queue far deeper than one second of D3_MAX_RPS):
 *   1. one instance, sqlite store (the in-process limiter);
 *   2. FLEET_INSTANCES instances on one Redis (the fleet budget in Redis);
 *   3. the same fleet, one instance SIGKILLed FLEET_KILL_AFTER_MS after the closes were acknowledged:
 *      how many closes reach D3 (once each) and how many analysts are told, and when.
 * Figures: most D3 calls in any sliding one-second window, and the drain rate (close calls per second
 * from the first to the last, as % of D3_MAX_RPS). Knobs (env): FLEET_MAX_RPS (40), FLEET_CLOSES (300),
 * FLEET_INSTANCES (3), FLEET_KILL_AFTER_MS (2000), BENCH_SKIP_BUILD=1.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChildApp, startChildApp } from '../test/support/child-app.ts';
import { type FakeD3, startFakeD3 } from '../test/support/fake-d3.ts';
import { type FakeSlack, startFakeSlack } from '../test/support/fake-slack.ts';
import { slashCommandBody } from '../test/support/fixtures.ts';
import { botToken, d3Key, defaultUserMap, harnessEnv, signingSecret } from '../test/support/harness.ts';
import { startRedis } from '../test/support/redis.ts';
import { postSigned } from '../test/support/sign.ts';

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

interface Fakes {
  d3: FakeD3;
  slack: FakeSlack;
}

async function fleetOf(n: number, fakes: Fakes, store: (i: number) => string): Promise<ChildApp[]> {
  const env = harnessEnv({
    d3Url: fakes.d3.url,
    slackApiUrl: fakes.slack.apiUrl,
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
    Array.from({ length: n }, (_, i) => startChildApp({ ...env, STORE_URL: store(i) }, { built: true })),
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
          response_url: fakes.slack.responseUrl(`${tag}${i}`),
          trigger_id: `${Date.now()}.4412345678.${tag}${i}`,
        }),
        { secret: signingSecret },
      ),
    ),
  );
  return acks.filter((a) => a.status === 200).length;
}

function figures(fakes: Fakes) {
  const closeTimes = fakes.d3.closeCalls().map((c) => c.at);
  const first = Math.min(...closeTimes);
  const last = Math.max(...closeTimes);
  const perS = closeTimes.length > 1 ? ((closeTimes.length - 1) * 1000) / (last - first) : Number.NaN;
  const numbers = fakes.d3
    .closeCalls()
    .map((c) => String((c.body as { CommandParams: Record<string, string> }).CommandParams['Incident Number']));
  return {
    closeCalls: closeTimes.length,
    distinctIncidents: new Set(numbers).size,
    maxPerSlidingSecond: maxPerSlidingSecond(fakes.d3.requests().map((r) => r.at)),
    drainPerS: perS,
    drainPct: (perS / maxRps) * 100,
  };
}

async function withFakes<T>(fn: (f: Fakes) => Promise<T>): Promise<T> {
  const f = { d3: await startFakeD3({ apiKey: d3Key, delayMs: 100 }), slack: await startFakeSlack({ botToken }) };
  try {
    return await fn(f);
  } finally {
    await Promise.all([f.d3.stop(), f.slack.stop()]);
  }
}

const stopAll = async (apps: ChildApp[]) => {
  for (const a of apps) if (a.proc.exitCode === null && a.proc.signalCode === null) a.kill('SIGTERM');
  await Promise.all(apps.map((a) => a.exited));
};

async function drainRun(label: string, n: number, store: (i: number) => string) {
  return withFakes(async (fakes) => {
    const apps = await fleetOf(n, fakes, store);
    const acked = await offer(apps, fakes, label.slice(0, 1));
    await fakes.slack.waitFor(() => fakes.slack.responses().length >= closes, 120_000);
    await stopAll(apps);
    return { label, acked, ...figures(fakes) };
  });
}

async function killRun(redisUrl: string) {
  return withFakes(async (fakes) => {
    const apps = await fleetOf(instances, fakes, () => redisUrl);
    const acked = await offer(apps, fakes, 'k');
    await sleep(killAfterMs);
    const victim = apps[0]!;
    const sentAtKill = fakes.d3.closeCalls().length;
    victim.kill('SIGKILL');
    const killedAt = performance.now();
    await victim.exited;
    const toldEach = () => Array.from({ length: closes }, (_, i) => fakes.slack.responses(`k${i}`).length);
    const told = () => toldEach().filter((n) => n > 0).length;
    await fakes.slack
      .waitFor(() => fakes.d3.closeCalls().length >= closes && told() >= closes, 120_000)
      .catch(() => {});
    const doneS = (performance.now() - killedAt) / 1000;
    await sleep(2_000); // room for a second close or a second outcome to show
    await stopAll(apps.slice(1));
    const twice = toldEach().filter((n) => n > 1).length;
    return { acked, sentAtKill, doneS, told: told(), twice, ...figures(fakes) };
  });
}

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');

async function main() {
  if (!process.env.BENCH_SKIP_BUILD) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  const redis = await startRedis();
  if (!redis) throw new Error('bench:fleet needs redis-server');
  console.log(
    `\n# fleet: D3_MAX_RPS=${maxRps}, ${closes} closes offered at once, fake D3 answers in 100 ms, built app, Node ${process.version}`,
  );
  const rows = [await drainRun('one instance (sqlite)', 1, (i) => `sqlite://${join(dir, `one-${i}.sqlite`)}`)];
  rows.push(await drainRun(`${instances} instances, one Redis`, instances, () => redis.url));
  const L = [
    '| Run | Acked | D3 close calls | Distinct incidents | D3 calls, max in a sliding 1 s | Drain (close calls/s) | Drain % of D3_MAX_RPS |',
    '|---|--:|--:|--:|--:|--:|--:|',
    ...rows.map(
      (r) =>
        `| ${r.label} | ${r.acked} | ${r.closeCalls} | ${r.distinctIncidents} | ${r.maxPerSlidingSecond} | ${f1(r.drainPerS)} | ${f1(r.drainPct)}% |`,
    ),
  ];
  const k = await killRun(redis.url);
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
