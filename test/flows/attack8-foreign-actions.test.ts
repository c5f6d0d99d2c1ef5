/**
 * Attack 8: block_actions from another workspace. README promises that requests come from this
 * workspace only (team and enterprise ids checked before anything runs); a click or a typed number
 * from another team (the same app installed there signs its requests too) must read and close nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { blockActionBody } from '../support/block-actions.ts';
import { type Harness, startHarness } from '../support/harness.ts';

/** The same payload as sent from team T9999 (its user's team too). */
function fromOtherTeam(body: string): string {
  const p = JSON.parse(new URLSearchParams(body).get('payload') ?? '{}') as {
    team: { id: string };
    user: { team_id: string };
    view?: { team_id?: string; app_installed_team_id?: string };
  };
  p.team = { ...p.team, id: 'T9999' };
  p.user.team_id = 'T9999';
  if (p.view) p.view.team_id = 'T9999';
  return new URLSearchParams({ payload: JSON.stringify(p) }).toString();
}

describe('attack 8: block actions from another workspace', () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });

  it('closes nothing when the Close button of a genuine card is clicked from another team', async () => {
    h = await startHarness({ env: { CONFIRM_BEFORE_CLOSE: 'true' } });
    await h.command({ text: '20200526-23 benign scanner' });
    await h.slack.waitFor(() => h.slack.responses().length >= 1, 8000);
    const shown = h.slack.responses()[0] as { blocks: Array<{ elements?: Array<Record<string, string>> }> };
    const close = shown.blocks.flatMap((b) => b.elements ?? []).find((b) => b.action_id === 'confirm_close')!.value!;
    const body = blockActionBody('block-actions-confirm.json', {
      value: close,
      actionId: 'confirm_close',
      responseUrl: h.slack.responseUrl('foreign'),
    });
    await h.raw(fromOtherTeam(body));
    await h.slack.waitFor(() => h.slack.responses('foreign').length === 1, 8000);
    expect(h.d3.closeCalls()).toHaveLength(0);
    expect(JSON.stringify(h.slack.responses('foreign')[0])).toMatch(/was not closed|nothing was done/);
  });

  it('reads nothing from D3 for a number typed in a form from another team', async () => {
    h = await startHarness({ env: { D3_PREVIEW: 'true' } });
    await h.raw(fromOtherTeam(blockActionBody('block-actions-modal-input.json', { value: '20200526-23' })));
    // A typed number from our own team, sent after: once its preview is shown, the foreign one has been handled.
    await h.raw(blockActionBody('block-actions-modal-input.json', { value: '20200526-24' }));
    await h.slack.waitFor(() => h.slack.calls('views.update').length >= 1, 8000);
    const read = h.d3
      .requests()
      .map((r) => (r.body as { CommandParams: Record<string, string> }).CommandParams['Incident Number']);
    expect(read).toEqual(['20200526-24']);
  });
});
