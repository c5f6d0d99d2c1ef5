import { describe, expect, it } from 'vitest';
import { type BulkOutcome, type FirstAnswer, withFirstAnswer } from '../../src/domain/bulk-items.ts';
import { CloseError } from '../../src/domain/errors.ts';
import { createLog } from '../../src/log.ts';

const log = createLog('silent');
const listed: BulkOutcome = { ok: true, items: [{ incidentNumber: '20200526-23' }] };
const never = 3_600_000;

/** A list's first answer (bulk-items.ts): "Closing N…" once taken, its refusal when refused whole, once. */
describe('withFirstAnswer', () => {
  const answers = () => {
    const given: FirstAnswer[] = [];
    return { given, answer: async (a: FirstAnswer) => void given.push(a) };
  };

  it('answers "closing" with the count the list gave when it is taken, before the list goes on', async () => {
    const { given, answer } = answers();
    const r = await withFirstAnswer(
      async (taken) => {
        await taken(2);
        expect(given).toEqual([{ closing: 2 }]);
        await taken(2);
        return listed;
      },
      answer,
      { count: 3, waitMs: never, log },
    );
    expect(r).toEqual({ outcome: listed, answered: 'closing' });
    expect(given).toEqual([{ closing: 2 }]);
  });

  it('answers with the refusal alone when the list is refused whole before it is taken (a redelivered list)', async () => {
    const { given, answer } = answers();
    const refused = new CloseError('duplicate_request', { count: 3 });
    const r = await withFirstAnswer(async () => ({ ok: false, error: refused }), answer, {
      count: 3,
      waitMs: never,
      log,
    });
    expect(r.answered).toBe('refused');
    expect(given).toEqual([{ refused }]);
  });

  it('gives no first answer to a list that ended neither taken nor refused: its outcome is the answer', async () => {
    const { given, answer } = answers();
    const r = await withFirstAnswer(async () => listed, answer, { count: 3, waitMs: never, log });
    expect(r).toEqual({ outcome: listed });
    expect(given).toEqual([]);
  });

  it('answers "closing" for the whole list when the wait ends before the list is taken, and only once', async () => {
    const { given, answer } = answers();
    let saidClosing: () => void = () => {};
    const closing = new Promise<void>((resolve) => {
      saidClosing = resolve;
    });
    const r = await withFirstAnswer(
      async (taken) => {
        await closing;
        await taken(1);
        return listed;
      },
      async (a) => {
        await answer(a);
        saidClosing();
      },
      { count: 3, waitMs: 0, log },
    );
    expect(r.answered).toBe('closing');
    expect(given).toEqual([{ closing: 3 }]);
  });

  it('runs the list on when its first answer cannot be sent', async () => {
    const r = await withFirstAnswer(
      async (taken) => {
        await taken(3);
        return listed;
      },
      async () => {
        throw new Error('slack: channel_not_found');
      },
      { count: 3, waitMs: never, log },
    );
    expect(r).toEqual({ outcome: listed, answered: 'closing' });
  });
});
