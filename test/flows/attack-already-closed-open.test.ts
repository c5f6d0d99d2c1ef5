import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';

// Attack on "'already closed' is an answer" with a D3 whose answer contradicts its own state: the
// error text matches "already closed" (here "not found or already closed") while the incident's state,
// read at once, shows it open. The bot must not tell the analyst it was already closed.
const N = '20200526-23';

describe('attack: "already closed" that D3’s own state contradicts', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('says D3 shows it still open, quoting D3’s words, instead of "already closed — nothing changed"', async () => {
    h = await startHarness();
    h.d3.script('close', { body: { error: `Incident ${N} is not found or already closed.`, returnData: '' } });
    h.d3.script('state', { fixture: 'state-open.json' });
    await h.command({ text: `${N} False positive` });
    await h.slack.waitFor(() => h!.slack.responses().length === 1, 8000);
    const told = (h.slack.responses()[0] as { text: string }).text;

    expect(told).not.toContain('was already closed');
    expect(told).toContain('still open');
    expect(told).toContain('not found or already closed');
    expect(h.d3.closeCalls()).toHaveLength(1);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(0);
  });
});
