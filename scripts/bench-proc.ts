/**
 * Benchmark helper: child processes the bench starts, and what it reads about them from /proc
 * (RSS, CPU time) or, for a forced settle, over the V8 inspector on loopback (full GC, heap in use).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import WebSocket from 'ws';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Every child started here, so the bench can kill what is left when it exits. */
export const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

export function rssMbOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system) a process has used so far, in ms. */
export function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the `(comm)`: state is 3rd overall, utime 14th, stime 15th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / clockTicks;
  } catch {
    return Number.NaN;
  }
}

/** CPU used by several processes between start() and stop(), as % of one core. */
export function cpuMeter(pids: Record<string, number>) {
  const t0 = performance.now();
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMsOf(pid)]));
  const self0 = process.cpuUsage();
  return () => {
    const wall = performance.now() - t0;
    const out: Record<string, number> = {};
    for (const [k, pid] of Object.entries(pids)) out[k] = ((cpuMsOf(pid) - (before[k] ?? 0)) / wall) * 100;
    const self = process.cpuUsage(self0);
    out.bench = ((self.user + self.system) / 1000 / wall) * 100;
    return out;
  };
}

/** Samples a process's RSS every 200 ms until stopped; keeps the maximum. */
export function rssSampler(pid: number) {
  let max = rssMbOf(pid);
  const timer = setInterval(() => {
    const v = rssMbOf(pid);
    if (Number.isFinite(v)) max = Math.max(max, v);
  }, 200);
  return () => {
    clearInterval(timer);
    return max;
  };
}

export interface Launched {
  pid: number;
  port: number;
  /** Spawn to the ready line. */
  startupMs: number;
  log(): string;
  rssMb(): number;
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns `node <args>` with stdout and stderr going straight to a file (no pipe for the bench to
 * drain, which would cost it CPU under load) and waits for a JSON line with `"port":N` and `readyMsg`.
 */
export async function launch(
  args: string[],
  o: { cwd: string; env: Record<string, string>; logFile: string; readyMsg: string; timeoutMs?: number },
): Promise<Launched> {
  const fd = openSync(o.logFile, 'w');
  const started = performance.now();
  const proc = spawn(process.execPath, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  children.add(proc);
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const log = () => readFileSync(o.logFile, 'utf8');
  const ready = new RegExp(`"port":(\\d+)[^\\n]*${o.readyMsg}`);
  const deadline = started + (o.timeoutMs ?? 20_000);
  let port = 0;
  while (port === 0) {
    const m = ready.exec(log());
    if (m) port = Number(m[1]);
    else if (proc.exitCode !== null || proc.signalCode !== null)
      throw new Error(`node ${args.join(' ')} exited before it was ready:\n${log()}`);
    else if (performance.now() > deadline) throw new Error(`node ${args.join(' ')} not ready in time:\n${log()}`);
    else await sleep(2);
  }
  const startupMs = performance.now() - started;
  const pid = proc.pid ?? 0;
  return {
    pid,
    port,
    startupMs,
    log,
    rssMb: () => rssMbOf(pid),
    async stop(graceMs = 1_000) {
      // SIGTERM first (a --cpu-prof profile is written on a normal exit); the bench needs no long
      // graceful drain, so SIGKILL follows after graceMs. Bounded either way.
      proc.kill('SIGTERM');
      await Promise.race([exited, sleep(graceMs)]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await Promise.race([exited, sleep(5_000)]);
      children.delete(proc);
    },
  };
}

export interface Settled {
  rssMb: number;
  heapUsedMb: number;
}

/**
 * A forced settle over the inspector of a process started with `--inspect=127.0.0.1:0`: two full
 * GCs, a short pause, then RSS (from /proc) and V8's heap in use. The inspector's URL is read from the
 * process's log ("Debugger listening on ws://127.0.0.1:…").
 */
export async function forceSettle(app: Launched): Promise<Settled> {
  const url = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/.exec(app.log())?.[1];
  if (!url) throw new Error('forceSettle: the app was not started with --inspect=127.0.0.1:0');
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let id = 0;
  const call = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const mine = ++id;
      const timer = setTimeout(() => reject(new Error(`inspector: ${method} timed out`)), 10_000);
      const onMessage = (data: WebSocket.RawData) => {
        const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
        if (msg.id !== mine) return;
        clearTimeout(timer);
        ws.off('message', onMessage);
        if (msg.error) reject(new Error(`inspector: ${msg.error.message}`));
        else resolve(msg.result);
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ id: mine, method, params }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    await sleep(500);
    const r = (await call('Runtime.evaluate', {
      expression: 'process.memoryUsage().heapUsed',
      returnByValue: true,
    })) as { result?: { value?: number } };
    return { rssMb: app.rssMb(), heapUsedMb: (r.result?.value ?? Number.NaN) / 1024 / 1024 };
  } finally {
    ws.close();
  }
}
