import { blockActionBody } from './block-actions.ts';
import { clickCard, showCard } from './card.ts';
import { type Harness, startHarness } from './harness.ts';
import { type StoreCall, storeFaults } from './store-faults.ts';

export const N = '20200526-23';
/** The card's mark: its lock, and its record in the cache (made with the click's id, given back as ''). */
export const isMarkLock = (c: StoreCall) => c.key.startsWith('request:confirm:');
export const isGiveBack = (c: StoreCall) =>
  (c.op === 'locks.release' && isMarkLock(c)) ||
  (c.op === 'cache.set' && c.key.startsWith('request-mark:confirm:') && c.value === '');

async function queueDepth(h: Harness): Promise<number> {
  const text = await (await fetch(`${h.baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('close_incident_d3_queue_depth '));
  return Number(line?.split(' ')[1]);
}

/**
 * A card's Close (answers to response_url `click1`) refused by D3's full queue after it spent the card's
 * mark: D3_MAX_RPS=1 and D3_QUEUE_MAX=1, the queue filled by the form's preview reads while the click's close
 * holds at its mark. `onStoreCall` runs ahead of each locks/cache call once the click goes on (wrapStore);
 * `beforeClick` runs once the card is shown. Resolves once the click went on, before its answer.
 */
export async function clickIntoFullQueue(o: {
  onStoreCall: (c: StoreCall) => Promise<void> | void;
  beforeClick?: (h: Harness) => void;
}): Promise<{ h: Harness; close: string; cancel: string; ackStatus: number; release(): void }> {
  const faults = storeFaults();
  const h = await startHarness({
    env: { CONFIRM_BEFORE_CLOSE: 'true', D3_PREVIEW: 'true', D3_MAX_RPS: '1', D3_QUEUE_MAX: '1' },
    runtime: { wrapStore: faults.wrap },
  });
  h.d3.incidents.set(N, { status: 'Open', site: 'Security Operations' });
  const { close, cancel } = await showCard(h, `${N} benign scanner`, 'card');
  o.beforeClick?.(h);
  let marking = false;
  let release = () => {};
  const held = new Promise<void>((r) => {
    release = r;
  });
  faults.set(async (c) => {
    if (c.op === 'locks.acquire' && isMarkLock(c) && !marking) {
      marking = true;
      await held;
    }
    await o.onStoreCall(c);
  });
  let ackStatus = 0;
  try {
    // The card's own preview read took D3's slot: the next one is a second away (D3_MAX_RPS=1).
    await new Promise((r) => setTimeout(r, 1_200));
    ackStatus = (await clickCard(h, close, 'confirm_close', 'click1')).status;
    await h.slack.waitFor(() => marking, 5_000);
    // Two numbers typed in the form: the first read goes to D3 at once, the second waits for the next slot.
    await h.raw(blockActionBody('block-actions-modal-input.json', { value: '20200526-31\n20200526-32' }));
    const deadline = Date.now() + 5_000;
    while ((await queueDepth(h)) < 1) {
      if (Date.now() > deadline) throw new Error('D3 queue never filled');
      await new Promise((r) => setTimeout(r, 10));
    }
  } catch (e) {
    release();
    await h.stop();
    throw e;
  }
  release();
  return { h, close, cancel, ackStatus, release };
}
