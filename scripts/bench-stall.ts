/**
 * `npm run bench:stall`: what 400 hostile connections to POST /slack/events cost the built app in RSS.
 * Each connection sends its headers with `Content-Length: 1 MiB`, half of them with well-formed
 * signature headers (a fresh timestamp, a signature nobody can check before the body is in), half
 * without; then it either sends all but the last byte of the body and stalls, or trickles 32 KiB
 * every 250 ms. Two runs: each connection opened once (the scenario of issue 7), then with every
 * closed connection reopened 100 ms later, so the pressure holds for the whole window. One genuine
 * signed close is sent in the middle of each attack.
 *
 * Prints idle RSS, the highest RSS during the attack and the difference (issue 7's target: within
 * 50 MB of idle), the statuses the app answered with, and what happened to the genuine close.
 * Knobs (env): STALL_CONNECTIONS (400), STALL_WINDOW_MS (15000), STALL_ONLY (signed | unsigned: every
 * connection with or without signature headers), STALL_REOPEN_MS (-1,100: the runs), BENCH_SKIP_BUILD=1.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeD3 } from '../test/support/fake-d3.ts';
import { startFakeSlack } from '../test/support/fake-slack.ts';
import { slashCommandBody } from '../test/support/fixtures.ts';
import { botToken, d3Key, defaultUserMap, harnessEnv, signingSecret } from '../test/support/harness.ts';
import { postSigned } from '../test/support/sign.ts';
import { launch, rssMbOf, rssSampler, sleep } from './bench-proc.ts';

const root = new URL('../', import.meta.url).pathname;
const num = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const connections = num('STALL_CONNECTIONS', 400);
const windowMs = num('STALL_WINDOW_MS', 15_000);
const only = process.env.STALL_ONLY;
/** -1: each connection is opened once (issue 7's scenario); otherwise reopened that long after it closed. */
const reopenMs = (process.env.STALL_REOPEN_MS ?? '-1,100').split(',').map(Number);
const MiB = 1024 * 1024;
const body = Buffer.alloc(MiB, 0x61);
const trickle = { bytes: 32 * 1024, everyMs: 250 };

setTimeout(() => {
  console.error('bench:stall: still running after 5 minutes; giving up');
  process.exit(2);
}, 300_000).unref();

const f1 = (x: number) => x.toFixed(1);

async function main(): Promise<void> {
  if (!process.env.BENCH_SKIP_BUILD) {
    console.log('> npm run build');
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  }
  const dir = mkdtempSync(join(tmpdir(), 'close-incident-stall-'));
  const userMapFile = join(dir, 'users.yml');
  writeFileSync(userMapFile, defaultUserMap);
  const d3 = await startFakeD3({ apiKey: d3Key });
  const slack = await startFakeSlack({ botToken });
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const flags = pkg.scripts.start.split(/\s+/).filter((a) => a.startsWith('--'));
  const env = harnessEnv({ d3Url: d3.url, slackApiUrl: slack.apiUrl, userMapFile, LOG_LEVEL: 'info' });
  console.log(
    `# POST /slack/events: ${connections} connections, Content-Length 1 MiB, half with signature headers, ` +
      `half stalling after all but 1 byte, half trickling ${trickle.bytes / 1024} KiB every ${trickle.everyMs} ms, ` +
      `for ${windowMs / 1000} s; a fresh app per run`,
  );
  const runs = reopenMs.map(
    (ms) => [ms, ms < 0 ? 'each connection once' : `closed ones reopened after ${ms} ms`] as const,
  );
  for (const [reopen, label] of runs) {
    const app = await launch([...flags, 'dist/close-incident.mjs'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env },
      logFile: join(dir, `app-${reopen}.log`),
      readyMsg: 'close-incident ready',
    });
    try {
      await sleep(2_000);
      const samples: number[] = [];
      for (let i = 0; i < 5; i++, await sleep(200)) samples.push(rssMbOf(app.pid));
      const idle = median(samples);
      const rss = rssSampler(app.pid);
      const attack = startAttack(app.port, reopen);
      await sleep(windowMs / 2);
      const postedBefore = slack.calls('chat.postMessage').length;
      const good = await genuineClose(app.port, slack.responseUrl('bench'));
      const posted = await slack
        .waitFor(() => slack.calls('chat.postMessage').length > postedBefore, 10_000)
        .then(() => 'yes')
        .catch(() => 'no');
      await sleep(windowMs / 2);
      const maxMb = rss();
      const stats = attack.stop();
      console.log(`\n## ${label}`);
      console.log(`RSS idle ${f1(idle)} MB; during the attack max ${f1(maxMb)} MB: ${f1(maxMb - idle)} MB above idle`);
      console.log(`connections opened ${stats.opened}; answers by status: ${JSON.stringify(stats.statuses)}`);
      console.log(`genuine close mid-attack: HTTP ${good.status} in ${f1(good.ms)} ms; summary posted: ${posted}`);
    } finally {
      await app.stop();
    }
  }
  console.log('\nTarget (issue 7): within 50 MB of idle.');
  await Promise.all([d3.stop(), slack.stop()]);
}

function genuineClose(port: number, responseUrl: string) {
  const text = `20200526-23 stall bench ${Date.now()}`;
  const raw = slashCommandBody('close-command.form', {
    response_url: responseUrl,
    text,
    trigger_id: `${Date.now()}.1.b`,
  });
  return postSigned(`http://127.0.0.1:${port}/slack/events`, raw, { secret: signingSecret }).catch(() => ({
    status: 0,
    ms: Number.NaN,
  }));
}

function startAttack(port: number, reopenMs: number) {
  let stopping = false;
  let opened = 0;
  const statuses: Record<string, number> = {};
  const open = new Set<Socket>();
  const slot = (i: number) => {
    if (stopping) return;
    opened += 1;
    const signed = only === 'signed' || (only !== 'unsigned' && i % 2 === 0);
    const trickles = i % 4 >= 2;
    const ts = Math.floor(Date.now() / 1000);
    const head = [
      'POST /slack/events HTTP/1.1',
      'Host: 127.0.0.1',
      'Content-Type: application/x-www-form-urlencoded',
      `Content-Length: ${MiB}`,
      ...(signed ? [`X-Slack-Signature: v0=${'0'.repeat(64)}`, `X-Slack-Request-Timestamp: ${ts}`] : []),
      '',
      '',
    ].join('\r\n');
    const socket = connect(port, '127.0.0.1');
    open.add(socket);
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      socket.write(head);
      if (!trickles) return void socket.write(body.subarray(0, MiB - 1));
      let sent = 0;
      timer = setInterval(() => {
        if (sent + trickle.bytes >= MiB || socket.destroyed) return clearInterval(timer);
        socket.write(body.subarray(0, trickle.bytes));
        sent += trickle.bytes;
      }, trickle.everyMs);
    });
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      open.delete(socket);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 'closed without an answer';
      if (!stopping) statuses[status] = (statuses[status] ?? 0) + 1;
      if (reopenMs >= 0) setTimeout(() => slot(i), reopenMs);
    });
  };
  for (let i = 0; i < connections; i++) slot(i);
  return {
    stop() {
      stopping = true;
      for (const s of open) s.destroy();
      return { opened, statuses };
    },
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
