import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { type AttributionContext, attributeClosure } from '../../src/d3/attribution.ts';
import { parseD3Date } from '../../src/d3/dates.ts';
import type { IncidentState } from '../../src/domain/ports.ts';
import { d3Date } from '../support/fake-d3.ts';

const iso = (t: number) => new Date(t).toISOString();
const span = (text: string, zone?: string) => {
  const at = parseD3Date(text, zone);
  return at && [iso(at.earliest), iso(at.latest)];
};

describe('parseD3Date', () => {
  it.each([
    ['May 26, 2020 17:07 China Standard Time', undefined, '2020-05-26T09:07:00.000Z', '2020-05-26T09:08:00.000Z'],
    [
      'Tue, May 26, 2020 5:07 PM Pacific Daylight Time',
      undefined,
      '2020-05-27T00:07:00.000Z',
      '2020-05-27T00:08:00.000Z',
    ],
    ['26 Sept 2020 17:07 UTC', undefined, '2020-09-26T17:07:00.000Z', '2020-09-26T17:08:00.000Z'],
    ['2022-01-24T16:57:32Z', undefined, '2022-01-24T16:57:32.000Z', '2022-01-24T16:57:33.000Z'],
    ['2022-01-24T16:57:32.123+05:30', undefined, '2022-01-24T11:27:32.000Z', '2022-01-24T11:27:33.000Z'],
    ['2022-01-24 16:57:32', '+08:00', '2022-01-24T08:57:32.000Z', '2022-01-24T08:57:33.000Z'],
    ['6/17/2021 1:30:35 PM', 'America/New_York', '2021-06-17T17:30:35.000Z', '2021-06-17T17:30:36.000Z'],
    ['2020-05-26 17:07 (UTC+08:00)', undefined, '2020-05-26T09:07:00.000Z', '2020-05-26T09:08:00.000Z'],
  ])('reads %j (zone %s) as one instant at its precision', (text, zone, earliest, latest) => {
    expect(span(text, zone)).toEqual([earliest, latest]);
  });

  it('reads an abbreviation as its zone’s local time or its literal offsets, as systems print PST all year', () => {
    expect(span('01/27/2021 06:08 AM PST')).toEqual(['2021-01-27T13:08:00.000Z', '2021-01-27T14:09:00.000Z']);
    expect(span('07/27/2021 06:08 AM PDT')).toEqual(['2021-07-27T13:08:00.000Z', '2021-07-27T14:09:00.000Z']);
  });

  it('spans every zone an ambiguous abbreviation names (CST: US Central or China)', () => {
    expect(span('2020-05-20 08:15:00 CST')).toEqual(['2020-05-20T00:15:00.000Z', '2020-05-20T14:15:01.000Z']);
  });

  it('spans every offset in use for a date without a zone when D3_TIMEZONE is not set', () => {
    expect(span('2022-01-24 16:57:32')).toEqual(['2022-01-24T02:57:32.000Z', '2022-01-25T04:57:33.000Z']);
    expect(span('2020-05-26')).toEqual(['2020-05-25T10:00:00.000Z', '2020-05-27T12:00:00.000Z']);
  });

  it('covers both instants of a wall-clock time that daylight saving time repeats or skips', () => {
    expect(span('2020-11-01 01:30:00', 'America/New_York')).toEqual([
      '2020-11-01T05:30:00.000Z',
      '2020-11-01T06:30:01.000Z',
    ]);
    expect(span('2020-03-08 02:30:00', 'America/New_York')).toEqual([
      '2020-03-08T06:30:00.000Z',
      '2020-03-08T07:30:01.000Z',
    ]);
  });

  it.each([
    'yesterday',
    '',
    '13/27/2021 06:08 AM PST',
    '2021-02-30 10:00',
    '2021-02-10 25:00',
    '2021-02-10 13:00 PM',
    '2020-05-26 17:07 Mars Time',
    'Foo 26, 2020 17:07',
    '27/01/2021 06:08',
  ])('does not read %j', (text) => {
    expect(parseD3Date(text)).toBeUndefined();
  });

  it('reads back every instant the fake D3 writes, within the minute it prints', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }), (t) => {
        const at = parseD3Date(d3Date.chinaStandardTime(new Date(t)));
        expect(at && at.earliest <= t && t < at.latest && at.latest - at.earliest === 60_000).toBe(true);
        const z = parseD3Date(d3Date.zoneless(new Date(t), -300), '-05:00');
        expect(z && z.earliest <= t && t < z.latest).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

const FIRST = Date.parse('2026-03-02T10:00:30Z');
const ctx: AttributionContext = { firstSentAt: FIRST, clockSkewMs: 120_000, username: 'jdoe' };
const state = (over: Partial<IncidentState>): IncidentState => ({
  incidentNumber: '20200526-23',
  status: 'Closed',
  closed: true,
  ...over,
});
const by = (s: Partial<IncidentState>, c: Partial<AttributionContext> = {}) =>
  attributeClosure(state(s), { ...ctx, ...c }).by;

describe('attributeClosure', () => {
  it('credits this request with a closure dated after its first call by the user it acted as, or by nobody named', () => {
    expect(by({ closedBy: 'jdoe', dateClosed: '2026-03-02 10:00:31Z' })).toBe('this_request');
    expect(by({ closedBy: ' JDoe ', dateClosed: 'Mar 2, 2026 18:01 China Standard Time' })).toBe('this_request');
    expect(by({ dateClosed: '2026-03-02T10:00:31Z' })).toBe('this_request');
    expect(by({ closedBy: 'Jordan  vale', dateClosed: '2026-03-02T10:00:31Z' }, { displayName: 'Jordan Vale' })).toBe(
      'this_request',
    );
  });

  it('allows D3’s clock to lag ours by the skew margin, and no more', () => {
    expect(by({ closedBy: 'jdoe', dateClosed: '2026-03-02T09:58:30Z' })).toBe('this_request');
    expect(by({ closedBy: 'jdoe', dateClosed: '2026-03-02T09:58:29Z' })).toBe('someone_else');
    expect(by({ closedBy: 'jdoe', dateClosed: '2026-03-02T09:58:29Z' }, { clockSkewMs: 0 })).toBe('someone_else');
  });

  it('names someone else when D3 shows the closure days earlier, or another person than the known display name', () => {
    expect(by({ closedBy: 'Pat Lee', dateClosed: '2026-02-25 08:15:00' })).toBe('someone_else');
    expect(by({ closedBy: 'jdoe', dateClosed: '02/25/2026 08:15 AM CST' })).toBe('someone_else');
    expect(by({ closedBy: 'Pat Lee', dateClosed: '2026-03-02T10:00:31Z' }, { displayName: 'Jordan Vale' })).toBe(
      'someone_else',
    );
    expect(by({ closedBy: 'Pat Lee' }, { displayName: 'Jordan Vale' })).toBe('someone_else');
  });

  it('proves nothing from a recent date without a zone, an unreadable date, no date, or an unknown name', () => {
    expect(by({ closedBy: 'jdoe', dateClosed: '2026-03-02 10:00:31' })).toBe('unknown');
    expect(by({ closedBy: 'jdoe', dateClosed: '2026-03-02 10:00:31' }, { timeZone: 'UTC' })).toBe('this_request');
    expect(by({ closedBy: 'jdoe', dateClosed: 'just now' })).toBe('unknown');
    expect(by({ closedBy: 'jdoe' })).toBe('unknown');
    expect(by({ closedBy: 'Jordan Vale', dateClosed: '2026-03-02T10:00:31Z' })).toBe('unknown');
    expect(by({ closedBy: 'jdoe', dateClosed: '2026-03-02 10:00:31 CST' })).toBe('unknown');
  });
});

describe('D3_TIMEZONE and D3_CLOCK_SKEW_MS', () => {
  const env = {
    SLACK_BOT_TOKEN: 'xoxb-123-abc',
    SLACK_SIGNING_SECRET: 'signing-secret-value',
    D3_BASE_URL: 'https://soar.example.com/Prod',
    D3_API_NAMESPACE: 'VSOC',
    D3_API_KEY: 'very-secret-d3-key',
  };

  it('defaults to a two-minute skew margin and no zone', () => {
    expect(loadConfig(env).d3).toMatchObject({ clockSkewMs: 120_000, timeZone: undefined });
  });

  it.each(['Asia/Shanghai', 'UTC', '+08:00', '-05:30'])('accepts D3_TIMEZONE=%s', (zone) => {
    expect(loadConfig({ ...env, D3_TIMEZONE: zone, D3_CLOCK_SKEW_MS: '0' }).d3).toMatchObject({
      timeZone: zone,
      clockSkewMs: 0,
    });
  });

  it.each(['PST', 'CST', 'Mars/Olympus', '+25:00'])('refuses the ambiguous or unknown D3_TIMEZONE=%s', (zone) => {
    let problems: string[] = [];
    try {
      loadConfig({ ...env, D3_TIMEZONE: zone });
    } catch (e) {
      if (e instanceof ConfigError) problems = e.problems;
    }
    expect(problems).toEqual([expect.stringMatching(/^D3_TIMEZONE: must be an IANA time zone/)]);
  });
});
