import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { type ChildApp, startChildApp } from './child-app.ts';
import { type FakeD3, startFakeD3 } from './fake-d3.ts';
import { type FakeSlack, startFakeSlack } from './fake-slack.ts';
import { botToken, d3Key, defaultUserMap, harnessEnv } from './harness.ts';

/**
 * The set-up shared by the tests that run the app as a child process (a crash, a signal, a restart):
 * per test, a fake D3 and a fake Slack, a temp dir holding the default user map and a sqlite store, the
 * app's environment (`settings` on top), and every child still running SIGKILLed afterwards.
 */
export function useChildApps(settings: Record<string, string> = {}) {
  const state = {} as { d3: FakeD3; slack: FakeSlack; dir: string; env: Record<string, string> };
  const children: ChildApp[] = [];
  beforeEach(async () => {
    state.d3 = await startFakeD3({ apiKey: d3Key });
    state.slack = await startFakeSlack({ botToken });
    state.dir = mkdtempSync(join(tmpdir(), 'close-incident-child-'));
    const userMapFile = join(state.dir, 'users.yml');
    writeFileSync(userMapFile, defaultUserMap);
    state.env = harnessEnv({
      d3Url: state.d3.url,
      slackApiUrl: state.slack.apiUrl,
      userMapFile,
      STORE_URL: `sqlite://${join(state.dir, 'store.sqlite')}`,
      ...settings,
    });
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.proc.exitCode === null && c.proc.signalCode === null) c.kill('SIGKILL');
      await c.exited;
    }
    await Promise.all([state.d3.stop(), state.slack.stop()]);
    rmSync(state.dir, { recursive: true, force: true });
  });
  return {
    get d3() {
      return state.d3;
    },
    get slack() {
      return state.slack;
    },
    get env() {
      return state.env;
    },
    /** Starts the app (src/main.ts) with this test's environment, plus `extra`. */
    async start(extra: Record<string, string> = {}): Promise<ChildApp> {
      const child = await startChildApp({ ...state.env, ...extra });
      children.push(child);
      return child;
    },
  };
}
