import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { type FakeD3, startFakeD3 } from './fake-d3.ts';
import { type FakeSlack, startFakeSlack } from './fake-slack.ts';
import { botToken, d3Key, type Harness, startHarness } from './harness.ts';

/**
 * In-process instances started one after another on one sqlite file, with one fake D3 and one fake
 * Slack that outlive them: a graceful stop, then the restart that takes its queue over. Registers its
 * own beforeEach/afterEach; read the fakes through the returned getters inside tests.
 */
export function useSqliteInstances(prefix: string, env: Record<string, string>) {
  let d3: FakeD3;
  let slack: FakeSlack;
  let dir: string;
  let fullEnv: Record<string, string>;
  const running: Harness[] = [];

  beforeEach(async () => {
    d3 = await startFakeD3({ apiKey: d3Key });
    slack = await startFakeSlack({ botToken });
    dir = mkdtempSync(join(tmpdir(), prefix));
    fullEnv = { STORE_URL: `sqlite://${join(dir, 'store.sqlite')}`, OUTBOX_INTERVAL_MS: '300', ...env };
  });
  afterEach(async () => {
    for (const h of running.splice(0)) await h.stop({ keepFakes: true }).catch(() => {});
    await Promise.all([d3.stop(), slack.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  return {
    d3: () => d3,
    slack: () => slack,
    /** The store's URL, for opening it from the test. */
    storeUrl: () => fullEnv.STORE_URL as string,
    async start(): Promise<Harness> {
      const h = await startHarness({ d3, slack, env: fullEnv });
      running.push(h);
      return h;
    },
    /** A graceful stop that leaves the fakes and the store for the next instance. */
    async stop(h: Harness): Promise<void> {
      running.splice(running.indexOf(h), 1);
      await h.stop({ keepFakes: true });
    },
  };
}
