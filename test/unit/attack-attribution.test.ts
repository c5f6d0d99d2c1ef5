import { describe, expect, it } from 'vitest';
import { attributeClosure } from '../../src/d3/attribution.ts';

// Attack on "closed in D3 is not closed by us" (issue 7.2): a DateClosed that D3's format or clock puts
// after the moment the bot read it. No process boundary: the judgement is a pure function of the state.
const firstSentAt = Date.UTC(2026, 11, 1, 2, 40); // 1 Dec 2026 02:40 UTC
const ctx = { firstSentAt, clockSkewMs: 120_000, timeZone: 'UTC', username: 'jdoe', checkedAt: firstSentAt + 5_000 };
const closed = (dateClosed: string, closedBy = 'jdoe') =>
  attributeClosure({ incidentNumber: '20200526-23', status: 'Closed', closed: true, closedBy, dateClosed }, ctx).by;

describe('attack: a DateClosed later than the state check proves nothing', () => {
  it('does not credit an en-GB "12/11/2026" (12 November, read month-first as 11 December)', () => {
    expect(closed('12/11/2026 09:30')).toBe('unknown');
  });

  it('does not credit a date an hour past the check (D3 clock ahead of ours beyond the margin)', () => {
    expect(closed('2026-12-01 03:40:05')).toBe('unknown');
  });

  it('still credits a date within the margin after the check, and one between the first call and the check', () => {
    expect(closed('2026-12-01 02:41:00')).toBe('this_request');
    expect(closed('2026-12-01 02:42:00')).toBe('this_request');
  });
});
