import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';

describe('refusals reach the analyst alone and never reach D3', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ env: { SUPPORT_CONTACT: '#soc-tooling' } });
  });
  afterEach(async () => {
    await h.stop();
  });

  const lastResponse = () => JSON.stringify(h.slack.responses().at(-1));

  it('tells an unmapped user whom to ask and calls no D3', async () => {
    await h.command({ user_id: 'U0UNKNOWN', text: '20200526-23 done' });
    await h.slack.waitFor(() => h.slack.responses().length === 1);
    expect(lastResponse()).toMatch(/not mapped/i);
    expect(lastResponse()).toContain('#soc-tooling');
    expect(h.d3.requests()).toHaveLength(0);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(0);
  });

  it('tells a mapped user with no site what is missing', async () => {
    await h.stop();
    h = await startHarness({ userMap: 'users:\n  U1234: { username: jdoe }\n' });
    await h.command({ text: '20200526-23 done' });
    await h.slack.waitFor(() => h.slack.responses().length === 1);
    expect(lastResponse()).toMatch(/site/i);
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('answers a malformed incident number with usage and the reason, without a modal', async () => {
    const res = await h.command({ text: 'bad#number some note' });
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/usage|\/close-incident/i);
    expect(h.slack.calls('views.open')).toHaveLength(0);
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('refuses a note over 3,000 characters from the command', async () => {
    await h.command({ text: `20200526-23 ${'y'.repeat(3001)}` });
    await h.slack.waitFor(() => h.slack.responses().length === 1);
    expect(lastResponse()).toMatch(/3,?000/);
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('closes at once with an empty note when notes are optional', async () => {
    await h.stop();
    h = await startHarness({ env: { CLOSE_NOTE_REQUIRED: 'false' } });
    await h.command({ text: '20200526-23' });
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1);
    expect(h.d3.closeCalls()[0]?.body).toMatchObject({ CommandParams: { 'Incident Note': '' } });
    expect(h.slack.calls('views.open')).toHaveLength(0);
  });

  it('refuses closes outside the allowed channels', async () => {
    await h.stop();
    h = await startHarness({ env: { ALLOWED_CHANNEL_IDS: 'C0ALLOWED' } });
    await h.command({ text: '20200526-23 done' });
    await h.slack.waitFor(() => h.slack.responses().length === 1);
    expect(lastResponse()).toMatch(/channel/i);
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('refuses users outside the allowed user groups, and lets members close', async () => {
    await h.stop();
    h = await startHarness({ env: { ALLOWED_USER_GROUP_IDS: 'S0SOC' }, userGroups: { S0SOC: ['U5678'] } });
    await h.command({ text: '20200526-23 done' });
    await h.slack.waitFor(() => h.slack.responses().length === 1);
    expect(lastResponse()).toMatch(/group/i);
    expect(h.d3.requests()).toHaveLength(0);
    await h.command({ user_id: 'U5678', text: '20200526-23 done' });
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1);
    expect(h.d3.closeCalls()).toHaveLength(1);
  });
});

describe('history is refused exactly as a close would be', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  /** The answer to one command, fetched from its own response URL. */
  const ask = async (id: string, patch: Record<string, string>) => {
    await h!.command({ ...patch, response_url: h!.slack.responseUrl(id) });
    await h!.slack.waitFor(() => h!.slack.responses(id).length === 1, 8000);
    // A close's outcome replaces its "Closing …" acknowledgement; history has none to replace. Same words.
    const { replace_original: _replaced, ...reply } = h!.slack.responses(id)[0] as Record<string, unknown>;
    return JSON.stringify(reply);
  };
  const closedByJdoe = async () => {
    expect(await ask('seed', { text: '20200526-23 benign scanner' })).toContain('Closed 20200526-23');
  };

  it('refuses an unmapped user, with the close refusal, and shows them no D3 user or site', async () => {
    h = await startHarness({ env: { SUPPORT_CONTACT: '#soc-tooling' } });
    await closedByJdoe();
    const close = await ask('close', { user_id: 'U0UNKNOWN', text: '20200526-23 done' });
    const history = await ask('history', { user_id: 'U0UNKNOWN', text: 'history 20200526-23' });
    expect(close).toMatch(/not mapped/i);
    expect(history).toEqual(close);
    expect(history).not.toContain('jdoe');
    expect(history).not.toContain('Security Operations');
    expect(await ask('mapped', { text: 'history 20200526-23' })).toContain('as jdoe');
  });

  it('refuses a user outside ALLOWED_USER_GROUP_IDS, with the close refusal', async () => {
    h = await startHarness({ env: { ALLOWED_USER_GROUP_IDS: 'S0SOC' }, userGroups: { S0SOC: ['U1234'] } });
    await closedByJdoe();
    const close = await ask('close', { user_id: 'U5678', text: '20200526-23 done' });
    const history = await ask('history', { user_id: 'U5678', text: 'history 20200526-23' });
    expect(close).toMatch(/group/i);
    expect(history).toEqual(close);
    expect(history).not.toContain('jdoe');
    expect(await ask('member', { text: 'history 20200526-23' })).toContain('as jdoe');
  });

  it('refuses a channel outside ALLOWED_CHANNEL_IDS, with the close refusal', async () => {
    h = await startHarness({ env: { ALLOWED_CHANNEL_IDS: 'C1234' } });
    await closedByJdoe();
    const close = await ask('close', { channel_id: 'C0ELSEWHERE', text: '20200526-23 done' });
    const history = await ask('history', { channel_id: 'C0ELSEWHERE', text: 'history 20200526-23' });
    expect(close).toMatch(/channel/i);
    expect(history).toEqual(close);
    expect(history).not.toContain('jdoe');
    expect(await ask('allowed', { text: 'history 20200526-23' })).toContain('as jdoe');
    expect(h.d3.closeCalls()).toHaveLength(1);
  });
});
