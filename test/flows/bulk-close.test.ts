import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';

type Audit = { incidentNumber: string; outcome: string; code?: string; requestId: string };

const numbers = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `20200526-${from + i}`);
const bulkOf = (body: unknown) => (body as { CommandParams: { 'Incident Numbers': string[] } }).CommandParams;
const text = (r: unknown) => JSON.stringify(r);

describe('closing many incidents at once', () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });

  const audits = (): Audit[] =>
    h
      .logs()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { audit?: Audit })
      .flatMap((e) => (e.audit ? [e.audit] : []));
  const finalList = async () => {
    await h.slack.waitFor(() => h.slack.responses().some((r) => text(r).includes('finished')));
    return h.slack.responses().at(-1) as { text: string; replace_original?: boolean };
  };

  it('closes a comma list one CloseIncident call per incident, duplicates collapsed, with one channel summary', async () => {
    h = await startHarness();
    const res = await h.command({ text: '20200526-23,20200526-24,20200526-31,20200526-24 duplicate of 20200526-22' });
    expect(res.text).toContain('Closing 3 incidents');
    const list = await finalList();
    expect(h.d3.closeCalls().map((c) => (c.body as { CommandParams: Record<string, string> }).CommandParams)).toEqual([
      { 'Incident Number': '20200526-23', 'Incident Note': 'duplicate of 20200526-22' },
      { 'Incident Number': '20200526-24', 'Incident Note': 'duplicate of 20200526-22' },
      { 'Incident Number': '20200526-31', 'Incident Note': 'duplicate of 20200526-22' },
    ]);
    expect(list.text).toContain('3 closed');
    expect(list.replace_original).toBe(true);
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1);
    const summary = h.slack.calls('chat.postMessage')[0]!.args;
    expect(summary.channel).toBe('C1234');
    expect(summary.text).toContain('3 incidents closed by <@U1234>');
    for (const n of ['20200526-23', '20200526-24', '20200526-31']) expect(summary.text).toContain(n);
    expect(
      audits()
        .map((a) => [a.incidentNumber, a.outcome])
        .sort(),
    ).toEqual([
      ['20200526-23', 'closed'],
      ['20200526-24', 'closed'],
      ['20200526-31', 'closed'],
    ]);
  });

  it('sends 120 numbers as three CloseIncidentInBulk calls of at most 50 and reads each incident from its own entry', async () => {
    h = await startHarness({ env: { D3_CLOSE_COMMAND: 'CloseIncidentInBulk', BULK_MAX: '200', D3_MAX_RPS: '50' } });
    const all = numbers(120);
    await h.command({ text: `${all.join(',')} storm` });
    const list = await finalList();
    const calls = h.d3.closeCalls();
    expect(calls.map((c) => bulkOf(c.body)['Incident Numbers'].length)).toEqual([50, 50, 20]);
    expect(calls.flatMap((c) => bulkOf(c.body)['Incident Numbers'])).toEqual(all);
    expect(bulkOf(calls[0]!.body)).toMatchObject({ Conclusion: 'storm', 'Bypass Required Pending Tasks': 'No' });
    expect(list.text).toContain('120 closed');
    expect(h.d3.requests().filter((r) => r.command === 'getIncidentStaticField')).toHaveLength(0);
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1);
    expect(h.slack.calls('chat.postMessage')[0]!.args.text).toContain('120 incidents closed');
  });

  it("reports a failed item with D3's reason while the others close, and lists only the closed ones in the channel", async () => {
    h = await startHarness({ env: { D3_CLOSE_COMMAND: 'CloseIncidentInBulk' } });
    h.d3.bulkFaults.set('20200526-24', { fail: 'Required tasks are still pending' });
    await h.command({ text: '20200526-23,20200526-24,20200526-31 cleanup' });
    const list = await finalList();
    expect(list.text).toContain('2 closed, 1 failed');
    expect(list.text).toContain('Required tasks are still pending');
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1);
    const summary = String(h.slack.calls('chat.postMessage')[0]!.args.text);
    expect(summary).toContain('20200526-23');
    expect(summary).toContain('20200526-31');
    expect(summary).not.toContain('20200526-24');
    const byNumber = Object.fromEntries(audits().map((a) => [a.incidentNumber, a]));
    expect(byNumber['20200526-24']).toMatchObject({ outcome: 'failed', code: 'd3_rejected' });
  });

  it('checks the state of an item without an entry and credits it only on evidence', async () => {
    h = await startHarness({ env: { D3_CLOSE_COMMAND: 'CloseIncidentInBulk' } });
    h.d3.bulkFaults.set('20200526-24', { omit: true, acts: true });
    h.d3.bulkFaults.set('20200526-31', { omit: true, acts: false });
    await h.command({ text: '20200526-23,20200526-24,20200526-31 cleanup' });
    const list = await finalList();
    const states = h.d3.requests().filter((r) => r.command === 'getIncidentStaticField');
    expect(
      states.map((r) => (r.body as { CommandParams: Record<string, string> }).CommandParams['Incident Number']).sort(),
    ).toEqual(['20200526-24', '20200526-31']);
    expect(list.text).toContain('2 closed, 1 failed');
    expect(list.text).toMatch(/20200526-31\* — failed: .*still open/);
    const byNumber = Object.fromEntries(audits().map((a) => [a.incidentNumber, a]));
    expect(byNumber['20200526-24']?.outcome).toBe('closed');
    expect(byNumber['20200526-31']).toMatchObject({ outcome: 'failed', code: 'd3_still_open' });
  });

  it('reads each state after a bulk call timed out, crediting only incidents D3 shows closed by this request', async () => {
    h = await startHarness({ env: { D3_CLOSE_COMMAND: 'CloseIncidentInBulk', D3_TIMEOUT_MS: '500' } });
    h.d3.incidents.set('20200526-31', {
      status: 'Closed',
      closedBy: 'Pat Lee',
      dateClosed: 'May 20, 2020 08:15 China Standard Time',
    });
    h.d3.script('close', { delayMs: 1500 });
    await h.command({ text: '20200526-23,20200526-24,20200526-31 cleanup' });
    const list = await finalList();
    expect(h.d3.closeCalls()).toHaveLength(1);
    expect(h.d3.requests().filter((r) => r.command === 'getIncidentStaticField')).toHaveLength(3);
    expect(list.text).toContain('2 closed, 1 already closed');
    expect(list.text).toMatch(/20200526-31\* — already closed: .*Pat Lee/);
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1);
    expect(String(h.slack.calls('chat.postMessage')[0]!.args.text)).not.toContain('20200526-31');
  });

  it('refuses an incident locked by another close and closes the rest', async () => {
    h = await startHarness({ env: { D3_CLOSE_COMMAND: 'CloseIncidentInBulk' } });
    h.d3.script('close', { fixture: 'close-ok.json', delayMs: 1500 });
    await h.command({ user_id: 'U5678', text: '20200526-24 slow single close' });
    await h.slack.waitFor(() => h.d3.closeCalls().length === 1);
    await h.command({ text: '20200526-23,20200526-24,20200526-31 cleanup' });
    const list = await finalList();
    expect(list.text).toContain('2 closed, 1 refused');
    expect(list.text).toMatch(/20200526-24\* — refused: <@U5678> is already closing/);
    expect(bulkOf(h.d3.closeCalls()[1]!.body)['Incident Numbers']).toEqual(['20200526-23', '20200526-31']);
    expect(audits().find((a) => a.incidentNumber === '20200526-24' && a.outcome === 'refused')?.code).toBe(
      'close_in_progress',
    );
  });

  it('refuses a list over BULK_MAX in the acknowledgement, saying the limit, and sends nothing', async () => {
    h = await startHarness({ env: { BULK_MAX: '5' } });
    const res = await h.command({ text: `${numbers(6).join(',')} too many` });
    expect(res.text).toContain('That is 6 incident numbers; one request closes at most 5');
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('refuses a list with an invalid number whole, naming it', async () => {
    h = await startHarness();
    const res = await h.command({ text: '20200526-23,2020/05/26,20200526-31 note' });
    expect(res.text).toContain('2020/05/26');
    expect(h.d3.requests()).toHaveLength(0);
  });

  it('updates the same result list in place as results arrive, then gives the final list', async () => {
    h = await startHarness({ env: { D3_MAX_RPS: '2' } });
    await h.command({ text: `${numbers(5).join(',')} slow storm` });
    const list = await finalList();
    const responses = h.slack.responses() as Array<{ text: string; replace_original?: boolean }>;
    expect(responses.length).toBeGreaterThanOrEqual(2);
    expect(responses.length).toBeLessThanOrEqual(4);
    expect(responses.every((r) => r.replace_original === true)).toBe(true);
    expect(responses[0]!.text).toMatch(/answered so far/);
    expect(list.text).toContain('5 closed');
  });

  it('closes one number per line from the modal, with a notice first and the final list after', async () => {
    h = await startHarness();
    const res = await h.submit({ values: { incident: '20200526-23\n20200526-24\n\n20200526-31\n', note: 'storm' } });
    expect(res.status).toBe(200);
    await h.slack.waitFor(() => h.slack.calls('chat.postEphemeral').length === 2);
    const [notice, final] = h.slack.calls('chat.postEphemeral').map((c) => String(c.args.text));
    expect(notice).toContain('Closing 3 incidents');
    expect(final).toContain('3 closed');
    expect(h.d3.closeCalls()).toHaveLength(3);
    await h.slack.waitFor(() => h.slack.calls('chat.postMessage').length === 1);
  });

  it('shows an invalid line of the modal in place and closes nothing', async () => {
    h = await startHarness();
    const res = await h.submit({ values: { incident: '20200526-23\nnot a number!', note: 'storm' } });
    expect(res.text).toContain('response_action');
    expect(res.text).toContain('Fix these');
    expect(h.d3.requests()).toHaveLength(0);
  });
});
