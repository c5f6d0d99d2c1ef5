import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';

describe('closing an incident D3 says is already closed', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  const told = async () => {
    await h.slack.waitFor(() => h.slack.responses().length === 1, 8000);
    return JSON.stringify(h.slack.responses()[0]);
  };
  const auditLines = () =>
    h
      .logs()
      .split('\n')
      .filter((l) => l.includes('"audit"'))
      .map((l) => (JSON.parse(l) as { audit: { outcome: string; code?: string } }).audit);

  it('tells the analyst who closed it and when, posts no summary, and audits it as already closed', async () => {
    h.d3.incidents.set('20200526-23', { status: 'Closed', closedBy: 'Pat Lee', dateClosed: '2020-05-20 08:15:00' });
    h.d3.script('close', { fixture: 'close-already-closed.json' });
    await h.command({ text: '20200526-23 closing it again' });

    const text = await told();
    expect(text).toContain('20200526-23 was already closed in D3 (by Pat Lee on 2020-05-20 08:15:00)');
    expect(text).toContain('nothing changed');
    expect(text).not.toMatch(/refused|not closed|could not|went wrong/i);
    expect(h.d3.closeCalls()).toHaveLength(1);
    expect(h.d3.requests().filter((r) => r.command === 'getIncidentStaticField')).toHaveLength(1);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(0);
    expect(auditLines()).toEqual([expect.objectContaining({ outcome: 'already_closed' })]);
    expect(auditLines()[0]?.code).toBeNull();
  });

  it('still reports it as already closed when D3 will not say who closed it', async () => {
    h.d3.script('close', { fixture: 'close-already-closed.json' });
    h.d3.script('state', { status: 500, fixture: '500.json' });
    await h.command({ text: '20200526-23 closing it again' });

    const text = await told();
    expect(text).toContain('20200526-23 was already closed in D3 — nothing changed.');
    expect(text).not.toContain(' by ');
    expect(h.d3.closeCalls()).toHaveLength(1);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(0);
    expect(auditLines()).toEqual([expect.objectContaining({ outcome: 'already_closed' })]);
  });
});
