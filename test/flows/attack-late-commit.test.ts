import { afterEach, describe, expect, it } from 'vitest';
import { d3Date, type Step } from '../support/fake-d3.ts';
import { type Harness, startHarness } from '../support/harness.ts';

// Attack on "our own late success is not 'nothing changed'" (issue 7.3): the first close times out and
// D3 commits it late; the state check still reads Open, so the bot sends the close once more, and that
// resend fails without D3 acting on it — D3 is now rate limiting, or it words its "already closed"
// answer differently. The first close did land: the bot must not say "not closed" or "refused".
const N = '20200526-23';

describe('attack: a failed resend after an unknown outcome does not hide our own late closure', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it.each<[string, Step[]]>([
    ['429s until the retry deadline', [1, 2, 3].map(() => ({ status: 429, fixture: '429.json' }))],
    ['a refusal worded "has been closed"', [{ body: { error: `Incident ${N} has been closed.`, returnData: '' } }]],
  ])(
    'first close times out and lands late, the resend meets %s: announced as this analyst’s closure',
    async (_w, resend) => {
      h = await startHarness({ env: { D3_TIMEOUT_MS: '300', D3_RETRY_DEADLINE_MS: '1500', D3_TIMEZONE: 'UTC' } });
      // What D3 holds once the first (timed-out) close commits, moments after it was sent.
      h.d3.incidents.set(N, {
        status: 'Closed',
        closedBy: 'jdoe',
        dateClosed: d3Date.zoneless(new Date(Date.now() + 500)),
      });
      h.d3.script(
        'close',
        { delayMs: 1_500, acts: false, fixture: 'close-ok.json' },
        ...resend.map((s) => ({ ...s, acts: false })),
      );
      // The first state check is read before the commit shows; later ones show it.
      h.d3.script('state', { fixture: 'state-open.json' });
      await h.command({ text: `${N} False positive` });
      await h.slack.waitFor(() => h!.slack.responses().length === 1, 8000);
      const told = (h.slack.responses()[0] as { text: string }).text;

      expect(told).toContain(`Closed ${N} in D3 as jdoe`);
      expect(h.slack.calls('chat.postMessage')).toHaveLength(1);
    },
  );
});
