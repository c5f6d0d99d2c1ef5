import { afterEach } from 'vitest';
import type { Harness } from './harness.ts';

/** What Slack was told on a response_url: the text, and whether it replaced the message before it. */
export type Told = { text: string; replace_original?: boolean };

/**
 * One harness per test, stopped after it. A test that holds store calls sets `unhang` to let them go: it
 * runs first, so a held call never keeps the stop waiting. Tests set and read `slot.h` and `slot.unhang`.
 */
export function harnessPerTest(): { h: Harness | undefined; unhang: () => void } {
  const slot: { h: Harness | undefined; unhang: () => void } = { h: undefined, unhang: () => {} };
  afterEach(async () => {
    slot.unhang();
    await slot.h?.stop();
    slot.h = undefined;
    slot.unhang = () => {};
  });
  return slot;
}
