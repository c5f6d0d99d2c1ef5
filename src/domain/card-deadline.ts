/**
 * The time a confirmation card's click may take to be answered. A store that hangs (rather than fails)
 * answers nothing for 3 s a call (store/keyv-store.ts), and a click reads the card, spends its mark and,
 * refused by D3's full queue, gives the mark back with retries: about 9 s before the analyst read anything.
 */

/** A click is answered within this long of its arrival, whatever the store does. */
export const CARD_ANSWER_WITHIN_MS = 5_000;

/** Passes once, `ms` after it is made; `passed` reads it without waiting. */
export interface Deadline {
  readonly reached: Promise<'late'>;
  readonly passed: boolean;
  clear(): void;
}

export function deadlineIn(ms: number): Deadline {
  let timer: NodeJS.Timeout | undefined;
  let passed = false;
  const reached = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => {
      passed = true;
      resolve('late');
    }, ms);
    timer.unref();
  });
  return {
    reached,
    get passed() {
      return passed;
    },
    clear: () => clearTimeout(timer),
  };
}

/**
 * Tries `attempt` until it resolves, pausing `pausesMs` between tries, and gives up (false) when the
 * pauses run out or `until` passes, without waiting for a try the store holds. True only once a try
 * resolved: a try given up on may still land later.
 */
export async function retryUntil(
  attempt: () => Promise<unknown>,
  pausesMs: number[],
  until: Promise<unknown>,
  onGiveUp: (e: unknown) => void,
): Promise<boolean> {
  let over = false;
  let last: unknown = new Error('store did not answer in time');
  const gaveUp = until.then(() => {
    over = true;
    return false;
  });
  const tries = (async () => {
    for (let i = 0; !over; i++) {
      try {
        await attempt();
        return true;
      } catch (e) {
        last = e;
        const pause = pausesMs[i];
        if (pause === undefined) return false;
        await new Promise((r) => setTimeout(r, pause).unref());
      }
    }
    return false;
  })();
  const given = await Promise.race([tries, gaveUp]);
  if (!given) onGiveUp(last);
  return given;
}
