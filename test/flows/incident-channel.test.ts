import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSlack } from '../support/fake-slack.ts';
import { botToken, type Harness, startHarness } from '../support/harness.ts';

const channels = [
  { id: 'CINC2023', name: 'inc-20200526-23' },
  { id: 'CINC2024', name: 'inc-20200526-24', member: false },
  { id: 'CGENERAL', name: 'general' },
];

async function start(env: Record<string, string>, slow?: number) {
  const slack = await startFakeSlack({ botToken, channels });
  if (slow) slack.script('conversations.list', { delayMs: slow });
  const h = await startHarness({ slack, env });
  const stop = async () => {
    await h.stop();
    await slack.stop();
  };
  return { h, stop };
}

const reply = (h: Harness) => JSON.stringify(h.slack.responses());

describe('the incident’s own channel and the SOC feed', () => {
  let stop: () => Promise<unknown>;
  afterEach(async () => {
    await stop();
  });

  it('posts the summary in the incident’s channel when it exists, wherever the close was typed', async () => {
    const s = await start({ INCIDENT_CHANNEL_TEMPLATE: 'INC-{number}' });
    stop = s.stop;
    const res = await s.h.command({ text: '20200526-23 benign scanner', channel_id: 'CGENERAL' });
    expect(res.status).toBe(200);
    await s.h.slack.waitFor(() => s.h.slack.responses().length === 1);
    expect(s.h.slack.calls('chat.postMessage').map((c) => c.args.channel)).toEqual(['CINC2023']);
    expect(reply(s.h)).toContain('<#CINC2023>');
    expect(reply(s.h)).toContain('incident’s own channel');
  });

  it('posts in the channel it came from when the incident has no channel', async () => {
    const s = await start({ INCIDENT_CHANNEL_TEMPLATE: 'inc-{number}' });
    stop = s.stop;
    await s.h.command({ text: '20200526-99 benign scanner', channel_id: 'CGENERAL' });
    await s.h.slack.waitFor(() => s.h.slack.responses().length === 1);
    expect(s.h.slack.calls('chat.postMessage').map((c) => c.args.channel)).toEqual(['CGENERAL']);
  });

  it('falls back to the origin channel and says so when the bot is not in the incident channel', async () => {
    const s = await start({ INCIDENT_CHANNEL_TEMPLATE: 'inc-{number}' });
    stop = s.stop;
    await s.h.command({ text: '20200526-24 benign scanner', channel_id: 'CGENERAL' });
    await s.h.slack.waitFor(() => s.h.slack.responses().length === 1);
    expect(s.h.slack.calls('chat.postMessage').map((c) => c.args.channel)).toEqual(['CGENERAL']);
    expect(reply(s.h)).toContain('<#CINC2024>');
    expect(reply(s.h)).toContain('not a member');
  });

  it('falls back to the origin channel when Slack answers not_in_channel in the incident channel', async () => {
    const s = await start({ INCIDENT_CHANNEL_TEMPLATE: 'inc-{number}' });
    stop = s.stop;
    s.h.slack.script('chat.postMessage', { error: 'not_in_channel' });
    await s.h.command({ text: '20200526-23 benign scanner', channel_id: 'CGENERAL' });
    await s.h.slack.waitFor(() => s.h.slack.responses().length === 1);
    expect(s.h.slack.calls('chat.postMessage').map((c) => c.args.channel)).toEqual(['CINC2023', 'CGENERAL']);
    expect(s.h.slack.messages('CGENERAL')).toHaveLength(1);
    expect(reply(s.h)).toContain('not a member');
  });

  it('does not hold the acknowledgement for the channel list', async () => {
    const s = await start({ INCIDENT_CHANNEL_TEMPLATE: 'inc-{number}' }, 2_000);
    stop = s.stop;
    const res = await s.h.command({ text: '20200526-23 benign scanner', channel_id: 'CGENERAL' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('Closing 20200526-23');
    expect(s.h.slack.calls('chat.postMessage')).toHaveLength(0);
    await s.h.slack.waitFor(() => s.h.slack.responses().length === 1, 8_000);
    expect(s.h.slack.calls('chat.postMessage').map((c) => c.args.channel)).toEqual(['CINC2023']);
  });

  it('sends a copy of every summary to SUMMARY_FEED_CHANNEL_ID as an outbox entry of its own', async () => {
    const s = await start({ INCIDENT_CHANNEL_TEMPLATE: 'inc-{number}', SUMMARY_FEED_CHANNEL_ID: 'CFEED123' });
    stop = s.stop;
    await s.h.command({ text: '20200526-23 benign scanner', channel_id: 'CGENERAL' });
    await s.h.slack.waitFor(() => s.h.slack.responses().length === 1);
    const posts = s.h.slack.calls('chat.postMessage').map((c) => c.args);
    expect(posts.map((p) => p.channel).sort()).toEqual(['CFEED123', 'CINC2023']);
    const ids = posts.map((p) => (p.metadata as { event_payload: { closure_id: string } }).event_payload.closure_id);
    expect(new Set(ids).size).toBe(2);
    expect(ids.some((id) => id.endsWith('.feed'))).toBe(true);
    expect(reply(s.h)).toContain('A copy is in <#CFEED123>');
  });

  it('retries a summary or feed copy Slack failed to take from the outbox, each posted once', async () => {
    const s = await start({ SUMMARY_FEED_CHANNEL_ID: 'CFEED123', OUTBOX_INTERVAL_MS: '200' });
    stop = s.stop;
    s.h.slack.script('chat.postMessage', {}, { status: 500 });
    await s.h.command({ text: '20200526-23 benign scanner', channel_id: 'CGENERAL' });
    await s.h.slack.waitFor(() => s.h.slack.messages('CFEED123').length === 1, 15_000);
    await new Promise((r) => setTimeout(r, 600));
    expect(s.h.slack.messages('CFEED123')).toHaveLength(1);
    expect(s.h.slack.messages('CGENERAL')).toHaveLength(1);
  });
});
