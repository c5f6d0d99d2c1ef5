import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';

describe('Slack-native finish', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ env: { SLACK_ADMIN_USER_IDS: 'U1234' } });
  });
  afterEach(async () => {
    await h.stop();
  });

  it('replaces the “Closing …” acknowledgement with the outcome instead of adding a message', async () => {
    const res = await h.command({ text: '20200526-23 benign scanner' });
    expect(res.text).toBe('Closing 20200526-23…');
    await h.slack.waitFor(() => h.slack.responses().length === 1);
    expect(h.slack.responses()[0]).toMatchObject({
      replace_original: true,
      text: expect.stringContaining('Closed 20200526-23'),
    });
  });

  it('replaces the acknowledgement with a failure too', async () => {
    h.d3.script('close', { fixture: 'close-error.json' });
    await h.command({ text: '20200526-23 benign scanner' });
    await h.slack.waitFor(() => h.slack.responses().length === 1);
    expect(h.slack.responses()[0]).toMatchObject({ replace_original: true, text: expect.stringContaining('D3') });
  });

  it('shows history dates as Slack date tokens with the UTC text as the fallback', async () => {
    await h.command({ text: '20200526-23 first' });
    await h.slack.waitFor(() => h.slack.responses().length === 1);
    await h.command({ text: 'history 20200526-23' });
    await h.slack.waitFor(() => h.slack.responses().length === 2);
    const text = (h.slack.responses()[1] as { text: string }).text;
    expect(text).toMatch(/<!date\^\d{10}\^\{date_short_pretty\} \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC>/);
  });

  it('lists every way to close in help', async () => {
    const res = await h.command({ text: 'help' });
    for (const form of [
      '/close-incident &lt;number&gt; &lt;note&gt;',
      '&lt;number&gt;,&lt;number&gt;,&lt;number&gt;',
      'fp: &lt;note&gt;',
      '*Close incident*',
      '*Home* tab',
      'whoami',
      'history &lt;number&gt;',
      'map @user',
    ])
      expect(res.text).toContain(form);
  });
});
