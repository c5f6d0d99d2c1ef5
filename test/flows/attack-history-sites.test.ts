import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';

// Attack on "history obeys the same policy as closing" (issue 7.7) from inside: an analyst mapped to
// another D3 site (a client of an MSSP) may not close that site's incidents — D3 refuses them — so
// history must not show them who on the other site closed what, and when.
describe('attack: history across D3 sites', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  const ask = async (id: string, patch: Record<string, string>) => {
    await h!.command({ ...patch, response_url: h!.slack.responseUrl(id) });
    await h!.slack.waitFor(() => h!.slack.responses(id).length === 1, 8000);
    return JSON.stringify(h!.slack.responses(id)[0]);
  };

  it('shows an analyst of site Client A none of the attempts made on site Security Operations', async () => {
    h = await startHarness();
    expect(await ask('seed', { text: '20200526-23 benign scanner' })).toContain('Closed 20200526-23');
    expect(await ask('own', { text: 'history 20200526-23' })).toContain('jdoe');

    const other = await ask('other', { user_id: 'U5678', text: 'history 20200526-23' });
    expect(other).not.toContain('jdoe');
    expect(other).not.toContain('Security Operations');
  });
});
