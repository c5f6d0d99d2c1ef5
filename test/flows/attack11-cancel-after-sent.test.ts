/**
 * Promise broken: the card's Cancel "closes nothing" and is never told falsely ("Cancelled: nothing was
 * sent to D3 and <n> stays as it is"), across a crash too (close-incident.ts markRequest: "Close and
 * Cancel exclude each other, across a crash too"); "never announce what did not happen".
 *
 * On sqlite:// (the default one-process store) the card's de-duplication mark is a lock, and locks live in
 * the process's memory: a SIGKILL forgets it. Observed: the card's Close is clicked, its close reaches D3
 * (which acts on it) and the app is SIGKILLed before D3's answer; the restart takes the stored close over
 * but has not re-made its mark yet (here: its first check of ALLOWED_USER_GROUP_IDS waits on Slack's
 * usergroups.users.list) when the analyst clicks Cancel on the same card. The Cancel takes the free mark
 * and answers "Cancelled: nothing was sent to D3 and … stays as it is" while D3 shows the incident closed
 * by the bot; the taken-over close then finds the Cancel's mark and stops untold (duplicate_request), so
 * the analyst never learns the incident was closed. (Without the group check the restart's takeover
 * still lost this race to a Cancel sent as soon as the restart was ready, twice of two runs: its log showed
 * "duplicate Slack request dropped" for the taken-over close, then the close intent's replay
 * "settled_after_restart" and posted the closure summary after the analyst was told "Cancelled".)
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { clickCard, showCard } from '../support/card.ts';
import { useChildApps } from '../support/child-fixture.ts';
import type { FakeD3 } from '../support/fake-d3.ts';
import type { FakeSlack } from '../support/fake-slack.ts';

const N = '20200526-23';

describe('attack11: Cancel after a restart, on a card whose Close D3 already acted on', () => {
  const apps = useChildApps({
    CONFIRM_BEFORE_CLOSE: 'true',
    OUTBOX_INTERVAL_MS: '300',
    OUTBOX_CLAIM_TTL_MS: '1500',
  });
  let d3: FakeD3;
  let slack: FakeSlack;
  beforeEach(() => {
    ({ d3, slack } = apps);
  });

  it('does not answer "Cancelled, nothing was sent to D3" for an incident D3 closed', async () => {
    const first = await apps.start();
    const card = await showCard({ eventsUrl: first.eventsUrl, slack }, `${N} benign scanner`, 'card');

    // D3 acts on the close at once and answers late: the app dies in between.
    d3.script('close', { fixture: 'close-ok.json', delayMs: 60_000 });
    expect((await clickCard({ eventsUrl: first.eventsUrl, slack }, card.close, 'confirm_close', 'close')).status).toBe(
      200,
    );
    await slack.waitFor(() => d3.closeCalls().length === 1, 10_000);
    first.kill('SIGKILL');
    await first.exited;
    expect(d3.incidents.get(N)?.status).toBe('Closed');

    // The restart checks the user group (newly required) before the taken-over close re-makes its mark.
    slack.script('usergroups.users.list', { hang: true });
    const second = await apps.start({ ALLOWED_USER_GROUP_IDS: 'S0SECOPS' });
    expect(
      (await clickCard({ eventsUrl: second.eventsUrl, slack }, card.cancel, 'cancel_close', 'cancel')).status,
    ).toBe(200);
    await slack.waitFor(() => slack.responses('cancel').length === 1, 10_000);
    const cancel = JSON.stringify(slack.responses('cancel')[0]);

    // D3 closed it: a Cancel must not say nothing was sent and the incident stays as it is.
    expect(cancel).not.toMatch(/Cancelled/);
  }, 60_000);
});
