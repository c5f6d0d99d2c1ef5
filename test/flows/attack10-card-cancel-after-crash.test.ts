/**
 * Promise broken: a confirmation card's "Cancel then Close closes nothing", and "never announce" what
 * did not happen: Cancel answers "Cancelled: nothing was sent to D3 and <n> stays as it is."
 *
 * Since commit 52d3477 the card is spent only by the close's own de-duplication mark, made inside the
 * close use case, after the close is stored in the durable queue. The stored entry does not keep the
 * card's dedupeKey (close-queue.ts accept() copies the request without it). Observed: the app is
 * SIGKILLed after a card's Close was stored and before the mark (here: while it waits on Slack's
 * usergroups.users.list for ALLOWED_USER_GROUP_IDS); the restart takes the stored close over and closes
 * the incident without ever spending the card, so the analyst's Cancel on the same card is answered
 * "Cancelled: nothing was sent to D3" while D3 gets the close and the closure summary is posted. The
 * README's known limit only mentions the card taking "one more Close", which D3 answers "already
 * closed"; a Cancel is told something false.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { clickCard, showCard } from '../support/card.ts';
import { useChildApps } from '../support/child-fixture.ts';
import type { FakeD3 } from '../support/fake-d3.ts';
import type { FakeSlack } from '../support/fake-slack.ts';

const N = '20200526-23';

describe('attack10: Cancel on a confirmation card whose Close was stored when the app died', () => {
  const apps = useChildApps({
    CONFIRM_BEFORE_CLOSE: 'true',
    ALLOWED_USER_GROUP_IDS: 'S0SECOPS',
    OUTBOX_INTERVAL_MS: '300',
    OUTBOX_CLAIM_TTL_MS: '1500',
  });
  let d3: FakeD3;
  let slack: FakeSlack;
  beforeEach(() => {
    ({ d3, slack } = apps);
  });

  it('does not answer "Cancelled, nothing was sent to D3" for an incident the restart then closes', async () => {
    const first = await apps.start();
    const card = await showCard({ eventsUrl: first.eventsUrl, slack }, `${N} benign scanner`, 'card');

    // The group check of the Close (after the close is stored, before its mark) never gets Slack's answer.
    slack.script('usergroups.users.list', { hang: true }, { body: { ok: true, users: ['U1234'] } });
    expect((await clickCard({ eventsUrl: first.eventsUrl, slack }, card.close, 'confirm_close', 'close')).status).toBe(
      200,
    );
    await slack.waitFor(() => slack.hung('usergroups.users.list').length === 1, 10_000);
    first.kill('SIGKILL');
    await first.exited;

    d3.script('close', { fixture: 'close-ok.json', delayMs: 1_000 });
    const second = await apps.start();
    expect(
      (await clickCard({ eventsUrl: second.eventsUrl, slack }, card.cancel, 'cancel_close', 'cancel')).status,
    ).toBe(200);
    await slack.waitFor(() => slack.responses('cancel').length === 1, 10_000);
    const cancel = JSON.stringify(slack.responses('cancel')[0]);
    // Give the restart time to take the stored close over (claim TTL 1.5 s, scans every 300 ms).
    await new Promise((r) => setTimeout(r, 6_000));

    const told = { cancel, closeCalls: d3.closeCalls().length, posts: slack.calls('chat.postMessage').length };
    // Either the Cancel is refused (the card is spent by the stored close), or the Cancel holds and nothing closes.
    if (/Cancelled/.test(cancel)) expect(told).toEqual({ cancel, closeCalls: 0, posts: 0 });
    else expect(cancel).toMatch(/already used/);
  }, 60_000);
});
