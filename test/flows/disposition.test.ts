import { afterEach, describe, expect, it } from 'vitest';
import { createMetadataSealer } from '../../src/slack/metadata.ts';
import { viewSubmissionPayload } from '../support/fixtures.ts';
import { botToken, type Harness, startHarness } from '../support/harness.ts';

const DISPOSITIONS = 'fp=False Positive,tp=True Positive,dup=Duplicate';

describe('closing with a close reason (disposition)', () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });
  const start = async (env: Record<string, string> = {}) => {
    h = await startHarness({ env: { DISPOSITIONS, ...env } });
  };
  const told = async () => {
    await h.slack.waitFor(() => h.slack.responses().length >= 1, 8000);
    return JSON.stringify(h.slack.responses()[0]);
  };
  const fieldsBody = (number: string, Disposition: string) => ({
    Username: 'jdoe',
    Site: 'Security Operations',
    CommandParams: { Input: [{ IncidentNumber: number, Input: { Disposition } }] },
  });
  const audits = () =>
    h
      .logs()
      .split('\n')
      .filter((l) => l.includes('"audit"'))
      .map((l) => (JSON.parse(l) as { audit: Record<string, unknown> }).audit);

  it('sets the short form’s disposition before the close, as the same user and site, and shows it in the summary', async () => {
    await start();
    await h.command({ text: '20200526-23 fp: benign scanner' });
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1, 8000);
    expect(h.d3.requests().map((r) => r.command)).toEqual(['SetIncidentFieldsInBulk', 'CloseIncident']);
    expect(h.d3.callsOf('fields')[0]!.body).toEqual(fieldsBody('20200526-23', 'False Positive'));
    expect(h.d3.closeCalls()[0]!.body).toMatchObject({ CommandParams: { 'Incident Note': 'benign scanner' } });
    expect(JSON.stringify(h.slack.calls('chat.postMessage')[0]!.args)).toContain('*Close reason*\\nFalse Positive');
    await h.slack.waitFor(() => audits().length === 1);
    expect(audits()).toEqual([expect.objectContaining({ outcome: 'closed', disposition: 'False Positive' })]);
  });

  it('offers the reasons in the modal and sets the one chosen there', async () => {
    await start();
    await h.command({ text: '' });
    await h.slack.waitFor(() => h.slack.calls('views.open').length === 1);
    const opened = JSON.stringify(h.slack.calls('views.open')[0]!.args.view);
    expect(opened).toContain('"block_id":"disposition_block"');
    expect(opened).toContain('True Positive');

    const payload = viewSubmissionPayload('close-modal-submit.json', {
      privateMetadata: createMetadataSealer(botToken).seal({ channel: 'C1234' })!,
    }) as { view: { state: { values: Record<string, unknown> } } };
    payload.view.state.values.disposition_block = {
      disposition_select: {
        type: 'static_select',
        selected_option: { text: { type: 'plain_text', text: 'True Positive' }, value: 'tp' },
      },
    };
    await h.raw(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1, 8000);
    expect(h.d3.callsOf('fields')[0]!.body).toEqual(fieldsBody('20200526-23', 'True Positive'));
    expect(h.d3.closeCalls()).toHaveLength(1);
  });

  it('closes nothing when D3 does not set the disposition, and tells the analyst D3’s words', async () => {
    await start();
    h.d3.script('fields', { body: { error: 'Disposition "False Positive" is not defined.', returnData: 'Failed' } });
    await h.command({ text: '20200526-23 fp: benign scanner' });
    const text = await told();
    expect(text).toContain('Disposition \\"False Positive\\" is not defined.');
    expect(text).toContain('was not closed');
    expect(h.d3.closeCalls()).toHaveLength(0);
    expect(audits()).toEqual([expect.objectContaining({ outcome: 'failed', disposition: 'False Positive' })]);
  });

  it('sets the disposition again after an unknown outcome (a field set is idempotent), then closes', async () => {
    await start();
    h.d3.script('fields', { destroy: 'before-reply' });
    await h.command({ text: '20200526-23 dup: same as 20200526-22' });
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1, 8000);
    expect(h.d3.callsOf('fields')).toHaveLength(2);
    expect(h.d3.closeCalls()).toHaveLength(1);
  });

  it('refuses an unknown short form, listing the allowed ones, and calls no one', async () => {
    await start();
    await h.command({ text: '20200526-23 fpp: benign scanner' });
    const text = await told();
    expect(text).toContain('fpp');
    expect(text).toContain('fp, tp, dup');
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('refuses a close without a reason when DISPOSITION_REQUIRED=true, saying how to give one', async () => {
    await start({ DISPOSITION_REQUIRED: 'true' });
    await h.command({ text: '20200526-23 benign scanner' });
    const text = await told();
    expect(text).toContain('A close reason is required');
    expect(text).toContain('/close-incident 20200526-23 fp: your note');
    expect(h.d3.requests()).toHaveLength(0);
  });
});
