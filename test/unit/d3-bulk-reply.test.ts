import { describe, expect, it } from 'vitest';
import { bulkCloseBody, parseBulkCloseReply } from '../../src/d3/bulk-reply.ts';
import type { CloseCommand } from '../../src/domain/ports.ts';

const cmd = (incidentNumber: string): CloseCommand => ({
  username: 'jdoe',
  site: 'Blue Team',
  incidentNumber,
  note: 'storm',
  requestId: 'r1',
});
const cmds = ['20200526-23', '20200526-24', '20200526-31'].map(cmd);
const entry = (n: string, over: Record<string, string> = {}) => ({
  'Incident Number': n,
  Status: 'Closed',
  'Close Date': '6/17/2021 1:30:35 PM',
  Result: 'Successful',
  'Closed By': 'Jordan Vale',
  ...over,
});
const parse = (body: object, status = 200) => parseBulkCloseReply(status, JSON.stringify(body), cmds);

describe('reading a CloseIncidentInBulk reply per incident', () => {
  it('sends every number of the chunk in one documented body', () => {
    expect(bulkCloseBody(cmds)).toEqual({
      Username: 'jdoe',
      Site: 'Blue Team',
      CommandParams: {
        'Incident Numbers': ['20200526-23', '20200526-24', '20200526-31'],
        Conclusion: 'storm',
        'Bypass Required Pending Tasks': 'No',
        Username: 'jdoe',
      },
    });
  });

  it("credits only incidents whose own entry has a success word; D3's top-level Successful proves none", () => {
    const answers = parse({
      error: '',
      returnData: 'Successful',
      contextData: [entry('20200526-23'), entry('20200526-24', { Result: 'Failed', Message: 'Pending tasks' })],
    });
    expect(answers.get('20200526-23')).toMatchObject({
      closure: { incidentNumber: '20200526-23', closedBy: 'Jordan Vale', closeDate: '6/17/2021 1:30:35 PM' },
    });
    expect(answers.get('20200526-24')).toMatchObject({
      error: { code: 'd3_rejected', detail: { d3Message: 'Pending tasks' } },
    });
    expect(answers.get('20200526-31')).toMatchObject({
      error: { code: 'd3_outcome_unknown', detail: { d3Answered: true } },
    });
  });

  it('reads an entry saying already closed as an answer, not a closure of ours', () => {
    const answers = parse({
      error: '',
      returnData: 'Successful',
      contextData: cmds.map((c) =>
        entry(c.incidentNumber, { Result: 'Failed', Message: 'Incident is already closed.' }),
      ),
    });
    expect(answers.get('20200526-23')).toMatchObject({ closure: { alreadyClosed: true } });
  });

  it('leaves an entry without a success word, or two entries for one incident, unproven', () => {
    const answers = parse({
      error: '',
      returnData: 'Successful',
      contextData: [entry('20200526-23', { Result: 'Queued' }), entry('20200526-24'), entry('20200526-24')],
    });
    expect(answers.get('20200526-23')).toMatchObject({ error: { code: 'd3_outcome_unknown' } });
    expect(answers.get('20200526-24')).toMatchObject({ error: { code: 'd3_outcome_unknown' } });
  });

  it("passes D3's top-level error on to each incident without an entry, as unproven", () => {
    const answers = parse({ error: 'Some incidents could not be closed', returnData: '', contextData: [] });
    for (const c of cmds) {
      expect(answers.get(c.incidentNumber)).toMatchObject({
        error: { code: 'd3_outcome_unknown', detail: { d3Message: 'Some incidents could not be closed' } },
      });
    }
  });

  it('throws for the whole call on a non-2xx status or an unreadable body', () => {
    expect(() => parse({ Error: 'busy' }, 429)).toThrow(expect.objectContaining({ code: 'd3_rate_limited' }));
    expect(() => parseBulkCloseReply(200, '<html>', cmds)).toThrow(expect.objectContaining({ code: 'd3_bad_reply' }));
  });
});
