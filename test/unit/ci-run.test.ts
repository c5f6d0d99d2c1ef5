import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const script = new URL('../../.ci/run', import.meta.url).pathname;

describe('.ci/run', () => {
  let bin: string;
  beforeEach(() => {
    bin = mkdtempSync(join(tmpdir(), 'close-incident-ci-'));
  });
  afterEach(() => {
    rmSync(bin, { recursive: true, force: true });
  });

  /** Runs the CI script with `npm` (and redis-server) replaced by stubs that record each call. */
  function runCi(failing?: string) {
    const calls = join(bin, 'calls');
    writeFileSync(calls, '');
    const npm = `#!/usr/bin/env bash\necho "$*" >> "${calls}"\n[ "$*" = "${failing ?? ''}" ] && exit 1\nexit 0\n`;
    writeFileSync(join(bin, 'npm'), npm);
    writeFileSync(join(bin, 'redis-server'), '#!/usr/bin/env bash\nexit 0\n');
    for (const f of ['npm', 'redis-server']) chmodSync(join(bin, f), 0o755);
    const path = [bin, dirname(process.execPath), '/usr/bin', '/bin'].join(':');
    const r = spawnSync('bash', [script], { env: { PATH: path }, encoding: 'utf8', timeout: 20_000 });
    const steps = readFileSync(calls, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ').slice(0, 2).join(' '));
    return { status: r.status, steps };
  }

  it('typechecks, lints and then tests', () => {
    const r = runCi();
    expect(r.steps).toEqual(['ci --no-audit', 'run typecheck', 'run lint', 'test --']);
    expect(r.status).toBe(0);
  });

  it('fails, without running the tests, when lint fails', () => {
    const r = runCi('run lint');
    expect(r.steps).toEqual(['ci --no-audit', 'run typecheck', 'run lint']);
    expect(r.status).not.toBe(0);
  });
});
