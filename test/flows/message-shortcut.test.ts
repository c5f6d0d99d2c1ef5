import { afterEach, describe, expect, it } from 'vitest';
import { createMetadataSealer } from '../../src/slack/metadata.ts';
import { botToken, type Harness, startHarness } from '../support/harness.ts';
import { submitWith, useShortcut } from '../support/surfaces.ts';

type Input = { block_id: string; hint?: { text: string }; element: { initial_value?: string; multiline?: boolean } };
type View = { blocks: Input[]; private_metadata: string };

const opened = (h: Harness) => {
  const view = h.slack.calls('views.open')[0]!.args.view as View;
  const block = (id: string) => view.blocks.find((b) => b.block_id === id)!;
  return { view, incident: block('incident_block'), note: block('note_block') };
};

describe('closing from an alert message (message shortcut)', () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });

  it('pre-fills every incident number in the text, blocks and attachments, once each and in order', async () => {
    h = await startHarness();
    const res = await useShortcut(h);
    expect(res.status).toBe(200);
    await h.slack.waitFor(() => h.slack.calls('views.open').length === 1);
    const { view, incident, note } = opened(h);
    expect(incident.element.initial_value).toBe(
      ['20200526-23', '20200526-24', '20200526-22', 'TEST-INCIDENT-73', '080924-1609'].join('\n'),
    );
    expect(incident.element.multiline).toBe(true);
    expect(incident.hint?.text).toContain('one per line');
    expect(note.element.initial_value).toContain('https://acme-sec.slack.com/archives/C1234/p1716716400000200');
    expect(createMetadataSealer(botToken).open(view.private_metadata)).toEqual({
      channel: 'C1234',
      threadTs: '1716716400.000200',
    });
    expect(h.slack.calls('chat.getPermalink')[0]!.args).toMatchObject({
      channel: 'C1234',
      message_ts: '1716716400.000200',
    });
  });

  it('pre-fills the one number a plain message names', async () => {
    h = await startHarness();
    await useShortcut(h, { message: { text: 'Alert: incident 20210127-198 is a scanner' } });
    await h.slack.waitFor(() => h.slack.calls('views.open').length === 1);
    const { incident } = opened(h);
    expect(incident.element.initial_value).toBe('20210127-198');
    // One field for one or many numbers (one a line), as the bulk close reads it.
    expect(incident.element.multiline).toBe(true);
  });

  it('finds a number only in an attachment field when the text names none', async () => {
    h = await startHarness();
    await useShortcut(h, {
      message: {
        text: '',
        attachments: [{ fallback: 'alert', fields: [{ title: 'Incident', value: '20230405-12' }] }],
      },
    });
    await h.slack.waitFor(() => h.slack.calls('views.open').length === 1);
    expect(opened(h).incident.element.initial_value).toBe('20230405-12');
  });

  it('opens the form empty with a hint when the message names no incident', async () => {
    h = await startHarness();
    await useShortcut(h, { message: { text: 'lunch at noon?' } });
    await h.slack.waitFor(() => h.slack.calls('views.open').length === 1);
    const { incident } = opened(h);
    expect(incident.element.initial_value).toBeUndefined();
    expect(incident.hint?.text).toContain('No incident number was found');
  });

  it('uses INCIDENT_NUMBER_PATTERN when the operator sets one', async () => {
    h = await startHarness({ env: { INCIDENT_NUMBER_PATTERN: String.raw`\bSOC-(\d+)\b` } });
    await useShortcut(h, { message: { text: 'SOC-4711 and 20200526-23' } });
    await h.slack.waitFor(() => h.slack.calls('views.open').length === 1);
    expect(opened(h).incident.element.initial_value).toBe('4711');
  });

  it('still opens the form, without a link, when Slack gives no permalink', async () => {
    h = await startHarness();
    h.slack.script('chat.getPermalink', { error: 'message_not_found' });
    await useShortcut(h);
    await h.slack.waitFor(() => h.slack.calls('views.open').length === 1);
    expect(opened(h).note.element.initial_value).toBeUndefined();
  });

  it('keys a reply in a thread to the thread’s parent message', async () => {
    h = await startHarness();
    await useShortcut(h, { message: { text: '20200526-23', ts: '1716716500.000900', thread_ts: '1716716400.000200' } });
    await h.slack.waitFor(() => h.slack.calls('views.open').length === 1);
    const meta = createMetadataSealer(botToken).open(opened(h).view.private_metadata);
    expect(meta?.threadTs).toBe('1716716400.000200');
  });

  it('posts the summary as a reply in the message’s thread, not in the channel', async () => {
    h = await startHarness();
    const res = await submitWith(h, {
      meta: { channel: 'C1234', threadTs: '1716716400.000200' },
      incident: '20200526-23',
      note: 'benign scanner',
    });
    expect(res.status).toBe(200);
    await h.slack.waitFor(() => h.slack.replies('C1234', '1716716400.000200').length === 1);
    const post = h.slack.calls('chat.postMessage')[0]!.args;
    expect(post).toMatchObject({ channel: 'C1234', thread_ts: '1716716400.000200' });
    expect(post.reply_broadcast).toBeUndefined();
    expect(h.slack.messages('C1234')).toHaveLength(0);
    await h.slack.waitFor(() => h.slack.calls('chat.postEphemeral').length === 1);
    expect(h.slack.calls('chat.postEphemeral')[0]!.args.text).toContain('reply in the thread');
  });

  it('also shows the threaded summary in the channel with SUMMARY_REPLY_BROADCAST=true', async () => {
    h = await startHarness({ env: { SUMMARY_REPLY_BROADCAST: 'true' } });
    await submitWith(h, {
      meta: { channel: 'C1234', threadTs: '1716716400.000200' },
      incident: '20200526-23',
      note: 'x',
    });
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1);
    expect(h.slack.calls('chat.postMessage')[0]!.args).toMatchObject({
      thread_ts: '1716716400.000200',
      reply_broadcast: 'true',
    });
    expect(h.slack.messages('C1234')).toHaveLength(1);
  });

  it('closes several numbers from the alert as one bulk close, with one summary listing them in its thread', async () => {
    h = await startHarness();
    await submitWith(h, {
      meta: { channel: 'C1234', threadTs: '1716716400.000200' },
      incident: '20200526-23\n20200526-24',
      note: 'scanner storm',
    });
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1);
    expect(h.d3.closeCalls()).toHaveLength(2);
    const post = h.slack.calls('chat.postMessage')[0]!.args;
    expect(post).toMatchObject({ channel: 'C1234', thread_ts: '1716716400.000200' });
    expect(String(post.text)).toContain('20200526-23');
    expect(String(post.text)).toContain('20200526-24');
    expect(h.slack.messages('C1234')).toHaveLength(0);
  });
});
