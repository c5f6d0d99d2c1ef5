/**
 * Attack on issue 8's promises through the bulk path: a comma list or a form with several lines must
 * not skip what a single close guarantees (the confirmation card, the close reason, the site check).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMetadataSealer } from '../../src/slack/metadata.ts';
import { viewSubmissionPayload } from '../support/fixtures.ts';
import { botToken, type Harness, startHarness } from '../support/harness.ts';

const DISPOSITIONS = 'fp=False Positive,tp=True Positive';
const closedNumbers = (h: Harness) =>
  h.d3.closeCalls().map((c) => (c.body as { CommandParams: Record<string, string> }).CommandParams['Incident Number']);
const fieldsSet = (h: Harness) =>
  h.d3
    .callsOf('fields')
    .map((c) => (c.body as { CommandParams: { Input: { IncidentNumber: string; Input: unknown }[] } }).CommandParams)
    .flatMap((p) => p.Input);

describe('attack 8: a list of numbers keeps the single close’s promises', () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });
  const finished = () =>
    h.slack.waitFor(
      () => h.slack.responses().some((r) => /finished|was not closed|Close incident/.test(JSON.stringify(r))),
      8000,
    );

  it('with CONFIRM_BEFORE_CLOSE=true, a comma list closes nothing until the analyst confirms', async () => {
    h = await startHarness({ env: { CONFIRM_BEFORE_CLOSE: 'true' } });
    await h.command({ text: '20200526-23,20200526-24 cleanup' });
    // Whatever the bot answers, nothing may reach D3 before a confirming click or submit.
    await h.slack.waitFor(() => h.slack.calls('views.open').length === 1 || h.d3.closeCalls().length > 0, 8000);
    expect(h.d3.closeCalls()).toHaveLength(0);
    const view = JSON.stringify(h.slack.calls('views.open')[0]?.args.view);
    expect(view).toContain('20200526-23\\n20200526-24');
    expect(view).toContain('cleanup');
  });

  it('sets the `fp:` close reason on every incident of a comma list before closing it, and the note loses the short form', async () => {
    h = await startHarness({ env: { DISPOSITIONS } });
    await h.command({ text: '20200526-23,20200526-24 fp: benign scanner' });
    await finished();
    await h.slack.waitFor(() => h.d3.closeCalls().length === 2, 8000);
    expect(fieldsSet(h)).toEqual([
      { IncidentNumber: '20200526-23', Input: { Disposition: 'False Positive' } },
      { IncidentNumber: '20200526-24', Input: { Disposition: 'False Positive' } },
    ]);
    for (const c of h.d3.closeCalls())
      expect(c.body).toMatchObject({ CommandParams: { 'Incident Note': 'benign scanner' } });
  });

  it('refuses a comma list without a reason when DISPOSITION_REQUIRED=true, and closes nothing', async () => {
    h = await startHarness({ env: { DISPOSITIONS, DISPOSITION_REQUIRED: 'true' } });
    // Refused whole before it is taken: the acknowledgement itself says so (no "Closing 2 incidents…").
    const res = await h.command({ text: '20200526-23,20200526-24 cleanup' });
    expect(res.text).toMatch(/was not closed|Close incident/);
    expect(res.text).not.toMatch(/Closing/);
    expect(h.d3.closeCalls()).toHaveLength(0);
  });

  it('sets the reason chosen in the form on every line of a several-number form', async () => {
    h = await startHarness({ env: { DISPOSITIONS } });
    const payload = viewSubmissionPayload('close-modal-submit.json', {
      values: { incident: '20200526-23\n20200526-24' },
      privateMetadata: createMetadataSealer(botToken).seal({ channel: 'C1234' })!,
    }) as { view: { state: { values: Record<string, unknown> } } };
    payload.view.state.values.disposition_block = {
      disposition_select: {
        type: 'static_select',
        selected_option: { text: { type: 'plain_text', text: 'True Positive' }, value: 'tp' },
      },
    };
    await h.raw(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length >= 1, 8000);
    expect(fieldsSet(h)).toEqual([
      { IncidentNumber: '20200526-23', Input: { Disposition: 'True Positive' } },
      { IncidentNumber: '20200526-24', Input: { Disposition: 'True Positive' } },
    ]);
  });

  it('does not close an incident of another site that sits in a comma list; the others close', async () => {
    h = await startHarness({ env: { D3_PREVIEW: 'true' } });
    h.d3.incidents.set('20200526-23', { status: 'Open', site: 'Security Operations' });
    h.d3.incidents.set('20200526-24', { status: 'Open', site: 'Client B' });
    await h.command({ text: '20200526-23,20200526-24 cleanup' });
    await h.slack.waitFor(() => h.slack.responses().some((r) => JSON.stringify(r).includes('finished')), 8000);
    expect(closedNumbers(h)).toEqual(['20200526-23']);
    const list = JSON.stringify(h.slack.responses().at(-1));
    expect(list).toContain('Client B');
  });
});
