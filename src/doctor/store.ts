import { randomUUID } from 'node:crypto';
import type { Config } from '../config.ts';
import { redactUrl } from '../store/common.ts';
import { createStore } from '../store/keyv-store.ts';
import { type CheckResult, fail, pass, warn } from './check.ts';

function storeFix(url: string): string {
  if (url.startsWith('redis')) return 'start Redis or correct STORE_URL (host, port, password, database number)';
  if (url.startsWith('sqlite'))
    return 'create the directory of the sqlite file, writable by this user, or correct STORE_URL';
  return 'correct STORE_URL';
}

/**
 * Opens STORE_URL as the app does and writes, reads back and deletes a probe record (an admin mapping
 * override under a key no Slack user id can take), so "reachable" also means "writable".
 */
export async function checkStore(config: Config): Promise<CheckResult> {
  const shown = redactUrl(config.storeUrl);
  let store: Awaited<ReturnType<typeof createStore>>;
  try {
    store = await createStore(config.storeUrl);
  } catch (e) {
    return fail('store', `cannot open ${shown}: ${e instanceof Error ? e.message : e}`, storeFix(config.storeUrl));
  }
  const id = `doctor-probe-${randomUUID()}`;
  const probe = { username: id, setBy: 'doctor', setAt: new Date().toISOString() };
  try {
    await store.overrides.set(id, probe);
    const back = await store.overrides.get(id);
    const deleted = await store.overrides.delete(id);
    if (back?.username !== id || !deleted) {
      return fail('store', `${shown} did not give back what was written`, storeFix(config.storeUrl));
    }
  } catch (e) {
    return fail('store', `${shown} is not writable: ${e instanceof Error ? e.message : e}`, storeFix(config.storeUrl));
  } finally {
    await store.close().catch(() => {});
  }
  const done = `${shown}: wrote, read back and deleted a probe record`;
  if (config.storeUrl.startsWith('memory')) {
    return warn(
      'store',
      `${done}; memory:// keeps nothing across restarts`,
      'use sqlite:// (one instance) or redis:// (several) in production',
    );
  }
  return pass('store', done);
}
