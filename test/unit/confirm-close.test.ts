import { describe, expect, it } from 'vitest';
import { type CloseRequest, markRequest } from '../../src/domain/close-incident.ts';
import { CloseError } from '../../src/domain/errors.ts';
import { createConfirmClose } from '../../src/domain/preview-incidents.ts';
import type { Outcome } from '../../src/domain/types.ts';
import { createStore } from '../../src/store/keyv-store.ts';

const req: CloseRequest = {
  requestId: 'r-prepare',
  slackUserId: 'U1',
  channelId: 'C1',
  incidentNumber: 'INC-7',
  note: 'benign scanner',
};

/**
 * The card over a real (memory) store; `close` stands for the close use case, which marks the request once.
 * `releaseFails` makes the store's lock release throw (the store failing) while it returns true.
 */
async function card(
  close: (r: CloseRequest) => Promise<Outcome>,
  busy?: () => boolean,
  releaseFails: () => boolean = () => false,
) {
  const real = await createStore('memory://');
  const store = {
    ...real,
    locks: {
      ...real.locks,
      release: async (key: string, holder: string) => {
        if (releaseFails()) throw new Error('store unavailable');
        return real.locks.release(key, holder);
      },
    },
  };
  let n = 0;
  const confirm = createConfirmClose({
    closeIncident: close,
    previewIncidents: async () => [],
    store,
    busy,
    newId: () => `card-${++n}`,
    giveBackPausesMs: [1, 1],
  });
  const prepared = await confirm.prepare(req);
  if (!prepared.ok) throw new Error('not prepared');
  const click = (action: 'close' | 'cancel', requestId: string, tell?: CloseRequest['tell']) =>
    confirm.decide({ id: prepared.id, expiresAt: prepared.expiresAt, slackUserId: 'U1', action, requestId }, tell);
  return { store, click };
}

const closed = (r: CloseRequest): Outcome => ({
  ok: true,
  closure: { incidentNumber: r.incidentNumber, site: 'S', note: r.note },
});

describe('the confirmation card', () => {
  it('stays usable when the process died between the Close click and storing its close', async () => {
    const asked: CloseRequest[] = [];
    let dies = true;
    const { click } = await card(async (r) => {
      asked.push(r);
      // The first click's close never ran (the process died before the durable queue stored it).
      if (dies) return new Promise<Outcome>(() => {});
      return closed(r);
    });
    void click('close', 'r-1');
    await new Promise((r) => setTimeout(r, 20));
    dies = false;

    const again = await click('close', 'r-2');
    expect(again).toMatchObject({ ok: true });
    expect(asked.map((r) => [r.requestId, r.dedupeKey])).toEqual([
      ['r-1', 'confirm:card-1'],
      ['r-2', 'confirm:card-1'],
    ]);
  });

  it('says "used" for a second Close once the first close passed its checks, and for a Cancel after it', async () => {
    const { store, click } = await card(async (r) => {
      // As the close use case does after identity and policy: spend the request's mark, once.
      if (!(await markRequest(store, r.dedupeKey ?? '', r.requestId)))
        return { ok: false, error: new CloseError('duplicate_request') };
      return closed(r);
    });
    expect(await click('close', 'r-1')).toMatchObject({ ok: true });
    expect(await click('close', 'r-2')).toMatchObject({ ok: false, error: { code: 'confirm_used' } });
    expect(await click('cancel', 'r-3')).toMatchObject({ ok: false, error: { code: 'confirm_used' } });
  });

  it('closes nothing after a Cancel: the Close that follows reads as used', async () => {
    const asked: string[] = [];
    const { store, click } = await card(async (r) => {
      asked.push(r.requestId);
      if (!(await markRequest(store, r.dedupeKey ?? '', r.requestId)))
        return { ok: false, error: new CloseError('duplicate_request') };
      return closed(r);
    });
    expect(await click('cancel', 'r-1')).toEqual({ cancelled: true });
    expect(await click('close', 'r-2')).toMatchObject({ ok: false, error: { code: 'confirm_used' } });
    // The close is asked for and stopped by the mark, before its lock or any D3 call.
    expect(asked).toEqual(['r-2']);
  });

  it('refuses a Close while D3 is busy without spending the card: the next click closes', async () => {
    let busy = true;
    const asked: string[] = [];
    const { click } = await card(
      async (r) => {
        asked.push(r.requestId);
        return closed(r);
      },
      () => busy,
    );
    expect(await click('close', 'r-1')).toMatchObject({ ok: false, error: { code: 'queue_full' } });
    busy = false;
    expect(await click('close', 'r-2')).toMatchObject({ ok: true });
    expect(asked).toEqual(['r-2']);
  });

  /** The close use case refused by D3's full queue after it spent the card's mark, told as the queue tells it. */
  const fullAfterMark =
    (store: Awaited<ReturnType<typeof card>>['store'], full: () => boolean) =>
    async (r: CloseRequest): Promise<Outcome> => {
      if (!(await markRequest(store, r.dedupeKey ?? '', r.requestId)))
        return { ok: false, error: new CloseError('duplicate_request') };
      const o: Outcome = full() ? { ok: false, error: new CloseError('queue_full') } : closed(r);
      await r.tell?.(r.answer ? await r.answer(o) : o);
      return o;
    };

  it('gives a card refused by a full queue back through a store failing for a moment: the next click closes', async () => {
    let full = true;
    let fails = 2;
    const { store, click } = await card(
      (r) => fullAfterMark(store, () => full)(r),
      undefined,
      () => fails-- > 0,
    );
    const told: Outcome[] = [];
    const tell = async (o: Outcome) => void told.push(o);
    expect(await click('close', 'r-1', tell)).toMatchObject({ ok: false, error: { code: 'queue_full' } });
    expect(told).toMatchObject([{ ok: false, error: { code: 'queue_full' } }]);
    full = false;
    expect(await click('close', 'r-2')).toMatchObject({ ok: true });
  });

  it('says the card is spent, not "retry", when the store never gives its mark back; a later click says used', async () => {
    let down = true;
    const { store, click } = await card(
      (r) => fullAfterMark(store, () => true)(r),
      undefined,
      () => down,
    );
    const told: Outcome[] = [];
    const tell = async (o: Outcome) => void told.push(o);
    expect(await click('close', 'r-1', tell)).toMatchObject({ ok: false, error: { code: 'confirm_spent' } });
    // Told once, and already the truth: the answer waited for the give-back.
    expect(told).toMatchObject([{ ok: false, error: { code: 'confirm_spent' } }]);
    down = false;
    expect(await click('close', 'r-2')).toMatchObject({ ok: false, error: { code: 'confirm_used' } });
  });
});
