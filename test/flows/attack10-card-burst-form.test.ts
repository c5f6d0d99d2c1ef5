/**
 * Promise broken: "A burst larger than D3_QUEUE_MAX is refused in the acknowledgement … no close
 * answered 'Closing…' (or a form close) is refused later for a full queue" (README, updated by faa31d5:
 * "from the command, the form or a confirmation card").
 *
 * Confirmation-card clicks are counted as busy (admission.admit) but are never refused for it:
 * confirmClicked/decide() never asks admission.busy(), so they go to D3's queue whatever its depth.
 * Observed: a form close is accepted (the form closes: the analyst's close is acknowledged) while D3's
 * queue has room; card Close clicks arriving just after it are let through unchecked and fill the
 * queue (D3_QUEUE_MAX=2) before the form's close reaches it; the form's close is then refused by the
 * limiter and its analyst gets "There are too many closes at once, so INC-9 was not sent to D3" after
 * the form had closed, and INC-9 is never sent to D3.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { clickCard, showCard } from '../support/card.ts';
import { type Harness, startHarness } from '../support/harness.ts';

describe('attack10: card clicks overtaking an accepted form close into a full D3 queue', () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });

  const card = async (n: string) => (await showCard(h, `${n} benign scanner`, `card-${n}`)).close;
  const click = (value: string, id: string) => clickCard(h, value, 'confirm_close', id);

  it('never refuses an acknowledged form close for a full queue', async () => {
    h = await startHarness({
      env: { CONFIRM_BEFORE_CLOSE: 'true', D3_MAX_RPS: '1', D3_QUEUE_MAX: '2' },
      // Jane is mapped by email: her close reads users.info before it reaches D3's queue.
      slackUsers: { UJANE: { email: 'jane.roe@example.com', name: 'jane' } },
    });
    h.d3.script('close', { fixture: 'close-ok.json', delayMs: 300 });
    const cards = [await card('INC-1'), await card('INC-2'), await card('INC-3')];

    h.slack.script('users.info', { delayMs: 800 });
    const form = await h.submit({
      userId: 'UJANE',
      viewId: 'VJANE',
      values: { incident: 'INC-9', note: 'from the form' },
    });
    // Accepted: the form closes (an empty acknowledgement), so the analyst's close is acknowledged.
    expect(form.status).toBe(200);
    expect(form.text).toBe('');
    await Promise.all(cards.map((v, i) => click(v, `click-${i + 1}`)));

    await new Promise((r) => setTimeout(r, 5_000));
    const toJane = h.slack
      .calls()
      .filter((c) => c.method === 'chat.postEphemeral' || (c.method === 'chat.postMessage' && !c.args.blocks))
      .map((c) => String(c.args.text));
    const sent = h.d3
      .closeCalls()
      .map((c) => (c.body as { CommandParams: Record<string, string> }).CommandParams['Incident Number']);
    expect({ toJane: toJane.filter((t) => t.includes('INC-9')), sentINC9: sent.includes('INC-9') }).toEqual({
      toJane: [expect.not.stringMatching(/too many closes/i)],
      sentINC9: true,
    });
  });
});
