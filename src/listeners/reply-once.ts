import type { Outcome } from '../domain/types.ts';

/**
 * A close's reply to the analyst, sent once: by the durable queue (the request's `tell`, before it forgets
 * the stored close) or, when the close never reached the queue (refused at once, store down), by `settle`.
 */
export function replyOnce(send: (outcome: Outcome) => Promise<unknown>) {
  let sent = false;
  const tell = async (outcome: Outcome) => {
    sent = true;
    await send(outcome);
  };
  return {
    tell,
    async settle(outcome: Outcome | undefined): Promise<void> {
      if (outcome && !sent) await tell(outcome);
    },
  };
}
