import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';

describe('closing from the modal', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('opens the modal for a bare command, carrying the channel in signed private_metadata', async () => {
    const res = await h.command({ text: '', trigger_id: '7012345678901.4412345678.0af3b5c1d2e4f6a7b8c9d0e1f2a3b4c5' });
    expect(res.status).toBe(200);
    await h.slack.waitFor(() => h.slack.calls('views.open').length === 1);
    const open = h.slack.calls('views.open')[0]!.args as { trigger_id: string; view: Record<string, unknown> };
    expect(open.trigger_id).toBe('7012345678901.4412345678.0af3b5c1d2e4f6a7b8c9d0e1f2a3b4c5');
    expect(open.view.callback_id).toBe('close_incident_modal');
    expect(String(open.view.private_metadata)).toContain('C1234');
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('pre-fills the incident number when the command has a number but no note', async () => {
    await h.command({ text: '20200526-23' });
    await h.slack.waitFor(() => h.slack.calls('views.open').length === 1);
    expect(JSON.stringify(h.slack.calls('views.open')[0]!.args.view)).toContain('"initial_value":"20200526-23"');
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('closes on submit and posts the summary to the channel the command came from', async () => {
    const res = await h.submit({ values: { incident: '20200526-23', note: 'Benign scanner\n"quoted" & <angled>' } });
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1);
    expect(h.d3.closeCalls()[0]?.body).toMatchObject({
      Username: 'jdoe',
      CommandParams: { 'Incident Number': '20200526-23', 'Incident Note': 'Benign scanner\n"quoted" & <angled>' },
    });
    expect(h.slack.calls('chat.postMessage')[0]!.args.channel).toBe('C1234');
    await h.slack.waitFor(() => h.slack.calls('chat.postEphemeral').length === 1);
    expect(h.slack.calls('chat.postEphemeral')[0]!.args).toMatchObject({ channel: 'C1234', user: 'U1234' });
  });

  it('shows field errors in place for a malformed number and an empty note, and calls no one', async () => {
    const res = await h.submit({ values: { incident: 'not a number!', note: null } });
    expect(res.status).toBe(200);
    const body = res.json as { response_action: string; errors: Record<string, string> };
    expect(body.response_action).toBe('errors');
    expect(Object.keys(body.errors).sort()).toEqual(['incident_block', 'note_block']);
    expect(h.d3.requests()).toHaveLength(0);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(0);
  });

  it('refuses a note over 3,000 characters in place', async () => {
    const res = await h.submit({ values: { incident: '20200526-23', note: 'x'.repeat(3001) } });
    expect((res.json as { errors: Record<string, string> }).errors.note_block).toMatch(/3,?000/);
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('refuses tampered private_metadata without calling D3', async () => {
    const res = await h.submit({ privateMetadata: '{"channel":"C9999"}' });
    expect((res.json as { response_action: string }).response_action).toBe('errors');
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('falls back to a DM when the bot cannot post ephemerally in the channel', async () => {
    h.slack.script('chat.postEphemeral', { ok: false, error: 'channel_not_found' });
    h.slack.script('chat.postMessage', { ok: false, error: 'channel_not_found' });
    await h.submit();
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').some((c) => c.args.channel === 'U1234'));
    const dm = h.slack.calls('chat.postMessage').find((c) => c.args.channel === 'U1234')!;
    expect(String(dm.args.text)).toMatch(/closed/i);
    expect(String(dm.args.text)).toMatch(/could not be posted/i);
  });

  it('makes one D3 call and one summary when the same modal is submitted twice', async () => {
    await Promise.all([h.submit(), h.submit()]);
    await h.slack.waitFor(() => h.slack.calls('chat.postEphemeral').length === 2);
    expect(h.d3.closeCalls()).toHaveLength(1);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(1);
  });
});
