import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';

const root = new URL('../../', import.meta.url).pathname;

/**
 * `npm run doctor -- <args>` (or the built `entry`, dist/doctor.mjs) as a child process with exactly `env`
 * (plus PATH); its exit code and output.
 */
export function runDoctorChild(args: string[], env: Record<string, string>, entry?: string) {
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    const p = spawn(process.execPath, [...(entry ? [entry] : ['--import', 'tsx', 'scripts/doctor.ts']), ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let out = '';
    p.stdout.on('data', (c: Buffer) => {
      out += c;
    });
    p.stderr.on('data', (c: Buffer) => {
      out += c;
    });
    p.on('exit', (code) => resolve({ code, out }));
  });
}

/** A loopback port nothing listens on (a store that cannot be reached). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Redis's answer to KEYS * in its wire format (`*0` when the database holds nothing). */
export function redisKeys(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write('*2\r\n$4\r\nKEYS\r\n$1\r\n*\r\n'));
    socket.once('data', (d) => {
      resolve(d.toString().split('\r\n')[0] ?? '');
      socket.end();
    });
    socket.once('error', reject);
  });
}
