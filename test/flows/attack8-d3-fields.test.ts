/**
 * Attack 8: odd fields from D3 reaching Slack. Slack refuses a whole message (invalid_blocks) when one
 * text object is over its limit (header 150, section text 3000, a section field 2000), so an over-long
 * field from D3 would lose the summary for good (the outbox retries the same refused blocks).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';

type Text = { type: string; text: string };
type Block = { type: string; text?: Text; fields?: Text[]; elements?: Text[] };

/** Every text object of a message that Slack would refuse for its length, as `type:length`. */
function overLimits(blocks: Block[] | undefined): string[] {
  const over: string[] = [];
  for (const b of blocks ?? []) {
    if (b.text) {
      const max = b.type === 'header' ? 150 : 3000;
      if (b.text.text.length > max) over.push(`${b.type}:${b.text.text.length}`);
    }
    for (const f of b.fields ?? []) if (f.text.length > 2000) over.push(`field:${f.text.length}`);
    for (const e of b.elements ?? [])
      if (typeof e.text === 'string' && e.text.length > 2000) over.push(`element:${e.text.length}`);
  }
  return over;
}

describe('attack 8: D3 text in the summary stays inert and within Slack’s limits', () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });

  it('posts a summary Slack accepts when D3’s Close Date and Closed By are thousands of characters, with no live mention', async () => {
    h = await startHarness();
    h.d3.script('close', {
      body: {
        error: '',
        returnData: 'Succeed',
        contextData: {
          incidentNumber: '20200526-23',
          closeType: 'Closed',
          closeDate: `May 26, 2020 17:07 <!channel> ${'9'.repeat(5000)}`,
          result: 'Succeed',
          closedBy: `<!channel> ${'Jordan '.repeat(800)}`,
        },
      },
    });
    await h.command({ text: '20200526-23 benign scanner' });
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1, 8000);
    const summary = h.slack.calls('chat.postMessage')[0]!.args as { text: string; blocks: Block[] };
    expect(JSON.stringify(summary)).not.toContain('<!channel>');
    expect(overLimits(summary.blocks)).toEqual([]);
    expect(summary.text.length).toBeLessThanOrEqual(40_000);
  });

  it('posts a bulk summary Slack accepts when D3’s entries carry thousands of characters in Closed By', async () => {
    h = await startHarness({ env: { D3_CLOSE_COMMAND: 'CloseIncidentInBulk' } });
    const entry = (n: string) => ({
      'Incident Number': n,
      Status: 'Closed',
      'Close Date': '2020-05-26 17:07:00',
      Result: 'Success',
      'Closed By': `<!here> ${'Jordan '.repeat(800)}`,
    });
    h.d3.script('close', {
      body: { error: '', returnData: 'Successful', contextData: [entry('20200526-23'), entry('20200526-24')] },
    });
    await h.command({ text: '20200526-23,20200526-24 cleanup' });
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1, 8000);
    const summary = h.slack.calls('chat.postMessage')[0]!.args as { text: string; blocks: Block[] };
    expect(summary.text).toContain('2 incidents closed');
    expect(JSON.stringify(summary)).not.toContain('<!here>');
    expect(overLimits(summary.blocks)).toEqual([]);
  });
});
