import { afterEach, describe, expect, it } from 'vitest';
import { createMetadataSealer } from '../../src/slack/metadata.ts';
import { botToken, type Harness, startHarness } from '../support/harness.ts';
import { clickHomeClose, openHome, submitWith } from '../support/surfaces.ts';

type Block = {
  type: string;
  block_id?: string;
  optional?: boolean;
  text?: { text: string };
  element?: { type: string };
};
const homeText = (h: Harness, i = 0) => JSON.stringify(h.slack.calls('views.publish')[i]!.args.view);

describe('App Home', () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });

  it('publishes the analyst’s D3 identity, where it comes from, and their last ten close attempts', async () => {
    h = await startHarness();
    for (let i = 1; i <= 11; i++) {
      await h.command({ text: `20200526-${i} done` });
      await h.slack.waitFor(() => h.slack.responses().length === i, 8_000);
    }
    await h.command({ user_id: 'U5678', text: '20200526-99 someone else' });
    await h.slack.waitFor(() => h.slack.responses().length === 12, 8_000);
    const res = await openHome(h, 'U1234');
    expect(res.status).toBe(200);
    await h.slack.waitFor(() => h.slack.calls('views.publish').length === 1);
    const call = h.slack.calls('views.publish')[0]!.args;
    expect(call.user_id).toBe('U1234');
    const text = homeText(h);
    expect(text).toContain('jdoe');
    expect(text).toContain('Security Operations');
    expect(text).toContain('the user map file');
    for (let i = 2; i <= 11; i++) expect(text).toContain(`20200526-${i}*`);
    expect(text).not.toContain('20200526-1*');
    expect(text).not.toContain('20200526-99');
    expect(text).toMatch(/<!date\^\d+\^\{date_short_pretty\} \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC>/);
    expect(text).toContain('home_close_incident');
  });

  it('tells an unmapped analyst whom to ask, with no attempts on record', async () => {
    h = await startHarness({ env: { SUPPORT_CONTACT: '#soc-tooling' } });
    await openHome(h, 'U0NOBODY1');
    await h.slack.waitFor(() => h.slack.calls('views.publish').length === 1);
    expect(homeText(h)).toContain('not mapped to a D3 user');
    expect(homeText(h)).toContain('#soc-tooling');
    expect(homeText(h)).toContain('No close attempts by you on record');
  });

  it('opens the close form with a required channel picker when no feed is configured', async () => {
    h = await startHarness();
    const res = await clickHomeClose(h);
    expect(res.status).toBe(200);
    await h.slack.waitFor(() => h.slack.calls('views.open').length === 1);
    const view = h.slack.calls('views.open')[0]!.args.view as { blocks: Block[]; private_metadata: string };
    const picker = view.blocks.find((b) => b.block_id === 'summary_channel_block')!;
    expect(picker.element?.type).toBe('conversations_select');
    expect(picker.optional).toBeUndefined();
    expect(createMetadataSealer(botToken).open(view.private_metadata)).toEqual({ home: true });
  });

  it('makes the picker optional when the feed applies', async () => {
    h = await startHarness({ env: { SUMMARY_FEED_CHANNEL_ID: 'CFEED123' } });
    await clickHomeClose(h);
    await h.slack.waitFor(() => h.slack.calls('views.open').length === 1);
    const view = h.slack.calls('views.open')[0]!.args.view as { blocks: Block[] };
    expect(view.blocks.find((b) => b.block_id === 'summary_channel_block')?.optional).toBe(true);
  });

  it('closes from the Home form into the picked channel and refreshes the Home tab', async () => {
    h = await startHarness();
    const res = await submitWith(h, {
      meta: { home: true },
      incident: '20200526-23',
      note: 'from home',
      picked: 'CPICKED1',
    });
    expect(res.status).toBe(200);
    await h.slack.waitFor(() => h.slack.calls('views.publish').length === 1, 8_000);
    expect(h.slack.calls('chat.postMessage').map((c) => c.args.channel)).toEqual(['CPICKED1']);
    expect(homeText(h)).toContain('20200526-23');
  });

  it('asks for a channel in place when a Home close has nowhere to announce', async () => {
    h = await startHarness();
    const res = await submitWith(h, { meta: { home: true }, incident: '20200526-23', note: 'from home' });
    expect(JSON.parse(res.text)).toEqual({
      response_action: 'errors',
      errors: { summary_channel_block: expect.stringContaining('Choose the channel') },
    });
    expect(h.d3.closeCalls()).toHaveLength(0);
  });

  it('announces a Home close in the feed when nothing is picked', async () => {
    h = await startHarness({ env: { SUMMARY_FEED_CHANNEL_ID: 'CFEED123' } });
    await submitWith(h, { meta: { home: true }, incident: '20200526-23', note: 'from home' });
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1, 8_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(h.slack.calls('chat.postMessage').map((c) => c.args.channel)).toEqual(['CFEED123']);
  });
});
