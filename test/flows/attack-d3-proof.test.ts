import { afterEach, describe, expect, it } from 'vitest';
import { d3Date } from '../support/fake-d3.ts';
import { type Harness, type HarnessOptions, startHarness } from '../support/harness.ts';

// Attacks on "only a proven success is a closure" and "closed in D3 is not closed by us" (issue 7.1, 7.2)
// with replies a real D3 may send: a bulk reply whose call succeeded but whose item did not, and a D3
// whose clock runs ahead of ours.
const N = '20200526-23';
const HOUR = 3_600_000;

describe('attack: a closure the reply or the state does not prove is never announced', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  const start = async (o: HarnessOptions = {}) => {
    h = await startHarness({ ...o, env: { D3_TIMEOUT_MS: '300', D3_RETRY_DEADLINE_MS: '1500', ...o.env } });
    return h;
  };
  const told = async (app: Harness) => {
    await app.slack.waitFor(() => app.slack.responses().length === 1, 8000);
    return (app.slack.responses().at(-1) as { text: string }).text;
  };

  it.each([
    ['Result "Pending required tasks", Status "Open"', { Status: 'Open', Result: 'Pending required tasks' }],
    ['Result "Skipped"', { Result: 'Skipped' }],
    ['Status "Open" and no Result', { Status: 'Open' }],
  ])('CloseIncidentInBulk: a call-level "Successful" whose own item says %s is not a closure', async (_w, item) => {
    const app = await start({ env: { D3_CLOSE_COMMAND: 'CloseIncidentInBulk' } });
    // The call went through; this incident's own entry says it was not closed (pending required tasks,
    // the bypass flag is "No"). With one number per call, the item's result is the call's result.
    app.d3.script('close', {
      acts: false,
      body: { error: '', returnData: 'Successful', contextData: [{ 'Incident Number': N, ...item }] },
    });
    await app.command({ text: `${N} False positive` });

    const text = await told(app);
    expect(text).not.toContain(`Closed ${N} in D3`);
    expect(text).toContain('D3 shows it still open');
    expect(app.slack.calls('chat.postMessage')).toHaveLength(0);
  });

  it('does not credit a closure D3 dates after "now": its clock is ahead, so the date proves nothing', async () => {
    // D3's clock runs two hours ahead of ours. The analyst (jdoe) closed the incident in D3's UI an hour
    // ago without the note; D3 dates that one hour into our future. The close now times out, and the
    // state shows it closed by jdoe "after" our first call: the bot must not announce it with this note.
    const app = await start({ env: { D3_TIMEZONE: 'UTC' } });
    const dateClosed = d3Date.zoneless(new Date(Date.now() + HOUR));
    app.d3.incidents.set(N, { status: 'Closed', closedBy: 'jdoe', dateClosed });
    app.d3.script('close', { delayMs: 1_500, acts: false });
    await app.command({ text: `${N} note D3 never got` });

    const text = await told(app);
    expect(text).not.toContain(`Closed ${N} in D3`);
    expect(text).toContain(`D3 shows ${N} closed by jdoe on ${dateClosed}`);
    expect(app.slack.calls('chat.postMessage')).toHaveLength(0);
  });
});
