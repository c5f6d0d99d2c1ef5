import { afterEach, describe, expect, it } from 'vitest';
import { createMetadataSealer } from '../../src/slack/metadata.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { viewSubmissionPayload } from '../support/fixtures.ts';
import { botToken, type Harness, startHarness } from '../support/harness.ts';

const refusal = /only takes requests from the Slack workspace it is installed in/;

describe('requests from another workspace or organisation', () => {
  let h: Harness | undefined;
  let slack: FakeSlack | undefined;
  afterEach(async () => {
    await h?.stop();
    await slack?.stop();
    h = undefined;
    slack = undefined;
  });

  const audits = () =>
    h!
      .logs()
      .split('\n')
      .filter((l) => l.includes('"audit"'))
      .map((l) => (JSON.parse(l) as { audit: Record<string, unknown> }).audit);
  const submitFrom = (team: { id: string } | null, userTeam: string, enterprise?: { id: string; name: string }) => {
    const payload = viewSubmissionPayload('close-modal-submit.json', {
      privateMetadata: createMetadataSealer(botToken).seal({ channel: 'C1234' })!,
    }) as Record<string, unknown> & { user: Record<string, unknown> };
    payload.team = team;
    payload.user.team_id = userTeam;
    if (enterprise) payload.enterprise = enterprise;
    return h!.raw(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
  };

  it.each([
    '20200526-23 done',
    'history 20200526-23',
    'whoami',
    'help',
    '',
    '20200526-23',
    'map <@U0NEW|n> nnew',
    'bad#1 x',
  ])('refuses "%s" from another team in the acknowledgement, before anything else runs', async (text) => {
    h = await startHarness({ env: { SLACK_ADMIN_USER_IDS: 'U1234' } });
    const res = await h.command({ team_id: 'T9999', text });
    expect(res.status).toBe(200);
    expect(res.text).toMatch(refusal);
    expect(h.d3.requests()).toHaveLength(0);
    expect(h.slack.calls().map((c) => c.method)).toEqual(['auth.test']);
    expect(h.slack.responses()).toHaveLength(0);
    expect(audits()).toMatchObject([{ outcome: 'refused', code: 'foreign_workspace', slackTeamId: 'T9999' }]);
  });

  it('refuses a command carrying an enterprise id that is not the installation’s, and records the refused close', async () => {
    h = await startHarness();
    const res = await h.command({ enterprise_id: 'E9999', text: '20200526-23 done' });
    expect(res.text).toMatch(refusal);
    expect(h.d3.requests()).toHaveLength(0);
    await h.command({ text: 'history 20200526-23', response_url: h.slack.responseUrl('history') });
    await h.slack.waitFor(() => h!.slack.responses('history').length === 1);
    expect(JSON.stringify(h.slack.responses('history'))).toContain('refused (foreign_workspace)');
  });

  it('refuses a modal submitted from another team or by a user of another team, with an inline error', async () => {
    h = await startHarness();
    for (const [team, userTeam] of [
      [{ id: 'T9999' }, 'T9999'],
      [{ id: 'T1234' }, 'T9999'],
    ] as const) {
      const res = await submitFrom(team, userTeam);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toMatchObject({
        response_action: 'errors',
        errors: { incident_block: expect.stringMatching(/only takes requests from the workspace it is installed in/) },
      });
    }
    expect(h.d3.requests()).toHaveLength(0);
    expect(audits()).toMatchObject([
      { action: null, code: 'foreign_workspace', incidentNumber: '20200526-23' },
      { action: null, code: 'foreign_workspace', incidentNumber: '20200526-23' },
    ]);
    const res = await submitFrom({ id: 'T1234' }, 'T1234');
    expect(res.text).toBe('');
    await h.slack.waitFor(() => h!.slack.calls('chat.postMessage').length === 1);
  });

  it('serves every workspace of the org when installed org-wide, and no other org', async () => {
    slack = await startFakeSlack({
      botToken,
      installation: { teamId: 'E1', enterpriseId: 'E1', enterpriseInstall: true },
    });
    h = await startHarness({ slack });
    const other = await h.command({ team_id: 'T5555', enterprise_id: 'E2', text: '20200526-23 done' });
    expect(other.text).toMatch(refusal);
    // Another incident than the modal's: the modal would otherwise find it already closed and post nothing.
    await h.command({ team_id: 'T5555', enterprise_id: 'E1', text: '20200526-24 done' });
    await slack.waitFor(() => slack!.calls('chat.postMessage').length === 1);
    expect(h.d3.closeCalls()).toHaveLength(1);
    const modal = await submitFrom(null, 'T7777', { id: 'E1', name: 'Acme' });
    expect(modal.text).toBe('');
    await slack.waitFor(() => slack!.calls('chat.postMessage').length === 2);
    expect(h.d3.closeCalls()).toHaveLength(2);
  });
});
