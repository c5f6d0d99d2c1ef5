/**
 * `npm run bench:bulk` (also run by `npm run bench`): closes 100 incidents with one command, once with
 * D3_CLOSE_COMMAND=CloseIncidentInBulk (chunks of D3_BULK_CHUNK=50) and once with CloseIncident (one
 * call per incident), and prints the time from the command to the final result list and the D3 calls
 * made. The app runs in this process between the fake D3 (answering after BENCH_BULK_D3_DELAY_MS,
 * default 500 ms, like the main bench) and the fake Slack, all on loopback; D3_MAX_RPS=40.
 */
import { startFakeD3 } from '../test/support/fake-d3.ts';
import { d3Key, startHarness } from '../test/support/harness.ts';

const COUNT = 100;
const d3DelayMs = Number(process.env.BENCH_BULK_D3_DELAY_MS) || 500;

interface BulkRun {
  command: 'CloseIncidentInBulk' | 'CloseIncident';
  seconds: number;
  closeCalls: number;
  stateCalls: number;
  closed: number;
  maxPerS: number;
}

/** Most D3 requests arriving within any 1 s window. */
function maxPerSecond(times: number[]): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while ((times[i] as number) - (times[j] as number) >= 1000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

async function runOnce(command: BulkRun['command']): Promise<BulkRun> {
  const d3 = await startFakeD3({ apiKey: d3Key, delayMs: d3DelayMs });
  const h = await startHarness({
    d3,
    env: { D3_CLOSE_COMMAND: command, D3_BULK_CHUNK: '50', D3_MAX_RPS: '40', LOG_LEVEL: 'warn' },
  });
  try {
    const numbers = Array.from({ length: COUNT }, (_, i) => `20200526-${100 + i}`);
    const t0 = performance.now();
    await h.command({ text: `${numbers.join(',')} bench storm` });
    await h.slack.waitFor(() => h.slack.responses().some((r) => JSON.stringify(r).includes('finished')), 120_000);
    const seconds = (performance.now() - t0) / 1000;
    const final = JSON.stringify(h.slack.responses().at(-1));
    const closed = Number(/(\d+) closed/.exec(final)?.[1] ?? 0);
    const reqs = d3.requests();
    return {
      command,
      seconds,
      closeCalls: d3.closeCalls().length,
      stateCalls: reqs.filter((r) => r.command === 'getIncidentStaticField').length,
      closed,
      maxPerS: maxPerSecond(reqs.map((r) => r.at).sort((a, b) => a - b)),
    };
  } finally {
    await h.stop();
    await d3.stop();
  }
}

/** Both runs, as Markdown lines for bench/results.md. */
export async function benchBulk(): Promise<string> {
  const runs = [await runOnce('CloseIncidentInBulk'), await runOnce('CloseIncident')];
  return [
    `Closing ${COUNT} incidents with one \`/close-incident a,b,c… note\` (fake D3 answers after ${d3DelayMs} ms, D3_MAX_RPS=40, D3_BULK_CHUNK=50; time from the command to the final result list):`,
    '',
    '| D3_CLOSE_COMMAND | Time s | D3 close calls | State checks | Closed | D3 calls/s (max in 1 s) |',
    '|---|--:|--:|--:|--:|--:|',
    ...runs.map(
      (r) =>
        `| ${r.command} | ${r.seconds.toFixed(2)} | ${r.closeCalls} | ${r.stateCalls} | ${r.closed} | ${r.maxPerS} |`,
    ),
    '',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchBulk().then(
    (md) => {
      console.log(md);
      process.exit(0);
    },
    (e: unknown) => {
      console.error('bench:bulk failed:', e);
      process.exit(1);
    },
  );
}
