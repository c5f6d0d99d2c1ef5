import { type ChildProcess, spawn } from 'node:child_process';

const root = new URL('../../', import.meta.url).pathname;

export interface ChildApp {
  proc: ChildProcess;
  /** The HTTP port the app bound (parsed from its "ready" log line). */
  port: number;
  eventsUrl: string;
  /** Every line the app printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Runs the real entry point (`src/main.ts` through tsx, or a built bundle when `entry` names one) as a
 * child process with the given environment, and waits for its "close-incident ready" log line.
 */
export async function startChildApp(env: Record<string, string>, opts: { entry?: string; timeoutMs?: number } = {}) {
  const args = opts.entry ? [opts.entry] : ['--import', 'tsx', 'src/main.ts'];
  const proc = spawn(process.execPath, args, {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | string>((resolve) => {
    proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`app did not start:\n${out}`)), opts.timeoutMs ?? 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /"port":(\d+)[^\n]*close-incident ready/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`app exited (${code}) before it was ready:\n${out}`));
    });
  });
  return {
    proc,
    port,
    eventsUrl: `http://127.0.0.1:${port}/slack/events`,
    output: () => out,
    exited,
    kill: (signal: NodeJS.Signals = 'SIGTERM') => void proc.kill(signal),
  } satisfies ChildApp;
}
