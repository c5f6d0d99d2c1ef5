import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CloseReplyContext, parseCloseReply } from '../../src/d3/reply.ts';
import { parseStateReply } from '../../src/d3/state-reply.ts';
import { parseRetryAfter } from '../../src/d3/status.ts';
import { CloseError } from '../../src/domain/errors.ts';
import { fixture } from '../support/fake-d3.ts';

const N = '20200526-23';
const ctx: CloseReplyContext = {
  incidentNumber: N,
  site: 'Blue Team',
  note: 'False positive',
  username: 'jdoe',
  command: 'CloseIncident',
};
const bulk: CloseReplyContext = { ...ctx, command: 'CloseIncidentInBulk' };
const ours = { incidentNumber: N, site: 'Blue Team', note: 'False positive' };

function thrown(fn: () => unknown): CloseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CloseError) return e;
    throw e;
  }
  throw new Error('expected a CloseError, got a result');
}

const envelope = (o: object) => JSON.stringify(o);

describe('parseCloseReply on 200 replies', () => {
  it.each([
    ['close-ok.json', ctx, { closedBy: 'Jordan Vale', closeDate: 'May 26, 2020 17:07 China Standard Time' }],
    ['close-ok-string.json', ctx, { closedBy: 'Jordan Vale', closeDate: '05/26/2020 05:07 PM PST' }],
    ['vendor-sample.txt', ctx, { closedBy: 'John Doe', closeDate: 'May 26, 2020 17:07 China Standard Time' }],
    ['close-bulk-ok.json', bulk, { closedBy: 'Jordan Vale', closeDate: '6/17/2021 1:30:35 PM' }],
  ])('reads %s as a confirmed closure with what D3 said', (name, c, fields) => {
    expect(parseCloseReply(200, fixture(name), c)).toEqual({ ...ours, closeType: 'Closed', ...fields });
  });

  it.each([
    ['close-error.json', 'd3_rejected', 'Incident not found'],
    ['close-failed-word.json', 'd3_rejected', 'Failed'],
  ])('turns %s into %s carrying D3 words', (name, code, d3Message) => {
    expect(thrown(() => parseCloseReply(200, fixture(name), ctx))).toMatchObject({ code, detail: { d3Message } });
  });

  it('resolves an "already closed" error as an already-closed closure', () => {
    expect(parseCloseReply(200, fixture('close-already-closed.json'), ctx)).toEqual({
      ...ours,
      alreadyClosed: true,
      d3Said: 'Incident 20200526-23 is already closed.',
      partial: true,
    });
  });

  it.each(['Failed', 'FAILURE', 'error', 'Unsuccessful', 'Close failed: pending tasks'])(
    'rejects returnData %j even when error is empty',
    (word) => {
      const body = envelope({ error: '', returnData: word });
      expect(thrown(() => parseCloseReply(200, body, ctx))).toMatchObject({ code: 'd3_rejected' });
    },
  );

  it('rejects a bulk reply whose item Result is a failure word', () => {
    const item = { 'Incident Number': N, Status: 'Open', Result: 'Failed', 'Closed By': '' };
    const body = envelope({ error: '', returnData: 'Successful', contextData: [item] });
    expect(thrown(() => parseCloseReply(200, body, bulk))).toMatchObject({ code: 'd3_rejected' });
  });

  it.each([
    ['Incident not found', envelope({ error: '', returnData: 'Incident not found' }), 'Incident not found'],
    ['Permission denied', envelope({ error: '', returnData: 'Permission denied' }), 'Permission denied'],
    [
      'Not closed: pending required tasks',
      envelope({ error: '', returnData: 'Not closed: pending required tasks' }),
      'Not closed: pending required tasks',
    ],
    ['Queued', envelope({ error: '', returnData: 'Queued' }), 'Queued'],
    ['Not successful', envelope({ error: '', returnData: 'Not successful' }), 'Not successful'],
    ['Successfully queued', envelope({ error: '', returnData: 'Successfully queued' }), 'Successfully queued'],
    ['Done', envelope({ error: '', returnData: 'Done' }), 'Done'],
    ['a null returnData', envelope({ error: '', returnData: null }), undefined],
    ['a missing returnData', envelope({ error: '' }), undefined],
    ['an empty returnData', envelope({ error: '', returnData: '' }), undefined],
    [
      'a record whose Result is no success word',
      envelope({ error: '', returnData: '', contextData: { incidentNumber: N, result: 'Pending' } }),
      'Pending',
    ],
    [
      'success for another incident',
      envelope({ error: '', returnData: 'Succeed', contextData: { incidentNumber: '20200526-99' } }),
      undefined,
    ],
  ])('treats a 200 with an empty error and %s as unproven, keeping D3’s words', (_what, body, d3Message) => {
    const err = thrown(() => parseCloseReply(200, body, ctx));
    expect(err).toMatchObject({ code: 'd3_outcome_unknown', detail: { d3Answered: true, status: 200 } });
    expect(err.detail.d3Message).toBe(d3Message);
  });

  it.each(['Succeed', 'SUCCEEDED', 'success', 'Successful', ' successful. '])(
    'accepts the success word %j in returnData',
    (word) => {
      expect(parseCloseReply(200, envelope({ error: '', returnData: word }), ctx)).toEqual({ ...ours, partial: true });
    },
  );

  it('accepts a success word in the incident’s own record when returnData has none', () => {
    const item = { 'Incident Number': N, Status: 'Closed', Result: 'Successful', 'Closed By': 'Jordan Vale' };
    const body = envelope({ error: '', returnData: '', contextData: [item] });
    expect(parseCloseReply(200, body, bulk)).toMatchObject({ ...ours, closedBy: 'Jordan Vale', closeType: 'Closed' });
  });

  it('marks a closure partial when contextData is absent, and does not warn on a success word', () => {
    const closure = parseCloseReply(200, envelope({ error: '', returnData: 'Successful' }), ctx);
    expect(closure).toEqual({ ...ours, partial: true });
  });

  it('looks fields up whatever their case, spaces or underscores', () => {
    const rec = { INCIDENT_NUMBER: N, close_type: 'Closed', 'CLOSED BY': 'Jordan Vale', Close_Date: 'today' };
    const body = envelope({ Error: '', ReturnData: 'success', ContextData: rec });
    expect(parseCloseReply(200, body, ctx)).toEqual({
      ...ours,
      closeType: 'Closed',
      closedBy: 'Jordan Vale',
      closeDate: 'today',
    });
  });

  it('keeps the closure but marks it partial when the vendor-style inner contextData does not parse', () => {
    const body = fixture('vendor-sample.txt').replace(
      '"closeNote": "False positive"',
      '"closeNote": "said "FP" twice"',
    );
    expect(parseCloseReply(200, body, ctx)).toEqual({ ...ours, partial: true });
  });

  it('marks a closure partial when contextData is a string that is not JSON', () => {
    const body = envelope({ error: '', returnData: 'Succeed', contextData: 'closed ok' });
    expect(parseCloseReply(200, body, ctx)).toEqual({ ...ours, partial: true });
  });

  it.each([
    ['an HTML error page', fixture('html-error.html')],
    ['a truncated body', fixture('close-ok.json').slice(0, 40)],
    ['a truncated vendor sample', fixture('vendor-sample.txt').slice(0, 60)],
    ['an empty body', ''],
    ['a JSON array', '[]'],
    ['a number for error', envelope({ error: 42, returnData: 'Succeed' })],
    ['an object for returnData', envelope({ error: '', returnData: 7 })],
    ['a number for contextData', envelope({ error: '', returnData: 'Succeed', contextData: 3 })],
    ['neither error nor returnData', envelope({ status: 'ok' })],
  ])('treats %s as d3_bad_reply', (_what, body) => {
    expect(thrown(() => parseCloseReply(200, body, ctx))).toMatchObject({
      code: 'd3_bad_reply',
      detail: { status: 200 },
    });
  });
});

describe('parseCloseReply on other statuses', () => {
  it.each([
    [400, '{"Error": "Missing Incident Note."}', 'd3_bad_request', { d3Message: 'Missing Incident Note.' }],
    [401, fixture('401.json'), 'd3_unauthorized', { hint: expect.stringContaining('D3_API_KEY_HEADER') }],
    [403, fixture('403.json'), 'd3_forbidden', { status: 403 }],
    [404, 'Not Found', 'd3_bad_request', { hint: expect.stringContaining('D3_BASE_URL') }],
    [503, fixture('503.json'), 'd3_unavailable', { notSent: true }],
    [500, fixture('500.json'), 'd3_outcome_unknown', { d3Message: 'Unexpected Error.' }],
    [500, fixture('html-error.html'), 'd3_outcome_unknown', { status: 500 }],
    [502, '<html>Bad Gateway</html>', 'd3_outcome_unknown', { status: 502 }],
    [504, '', 'd3_outcome_unknown', { status: 504 }],
    [302, '', 'd3_bad_reply', { status: 302 }],
  ])('maps %i to its code', (status, body, code, detail) => {
    expect(thrown(() => parseCloseReply(status, body, ctx))).toMatchObject({ code, detail });
  });

  it('maps 429 to d3_rate_limited with Retry-After in seconds', () => {
    const err = thrown(() => parseCloseReply(429, fixture('429.json'), ctx, { 'retry-after': '7' }));
    expect(err).toMatchObject({ code: 'd3_rate_limited', detail: { retryAfterS: 7, notSent: true, status: 429 } });
  });

  it('reads Retry-After as an HTTP date too, and ignores junk', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }, now)).toBe(5);
    expect(parseRetryAfter({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(parseRetryAfter({}, now)).toBeUndefined();
  });
});

describe('parseStateReply', () => {
  it('reads an open incident', () => {
    expect(parseStateReply(200, fixture('state-open.json'), N)).toEqual({
      incidentNumber: N,
      status: 'Open',
      closed: false,
      site: 'Blue Team',
      title: 'Suspicious PowerShell on WS-0193',
      severity: 'High',
      owner: 'Jordan Vale',
      type: 'Malware',
      dateCreated: '2020-05-26 09:12:44',
    });
  });

  it('reads a closed incident with who closed it and when', () => {
    expect(parseStateReply(200, fixture('state-closed.json'), N)).toEqual({
      incidentNumber: N,
      status: 'Closed',
      closed: true,
      closedBy: 'Jordan Vale',
      dateClosed: '2020-05-26 17:07:10',
      site: 'Blue Team',
      title: 'Suspicious PowerShell on WS-0193',
      severity: 'High',
      owner: 'Jordan Vale',
      type: 'Malware',
      dateCreated: '2020-05-26 09:12:44',
      disposition: 'False Positive',
    });
  });

  it('reads returnData given as a JSON string', () => {
    const inner = JSON.stringify({ Status: 'Successful', Data: { CaseNumber: N, Status: 'Resolved' } });
    expect(parseStateReply(200, envelope({ error: '', returnData: inner }), N)).toMatchObject({ closed: true });
  });

  it.each([
    ['Closed - False Positive', true],
    ['Unresolved', false],
    ['Not closed', false],
    ['Pending', false],
  ])('decides status %j means closed=%s', (status, closed) => {
    const body = envelope({ error: '', returnData: { Status: 'Successful', Data: { CaseNumber: N, Status: status } } });
    expect(parseStateReply(200, body, N).closed).toBe(closed);
  });

  it.each([
    ['an error', envelope({ error: 'Incident not found', returnData: '' }), 'd3_rejected'],
    ['a failed Status', envelope({ error: '', returnData: { Status: 'Failed' } }), 'd3_rejected'],
    ['no Data', envelope({ error: '', returnData: { Status: 'Successful' } }), 'd3_bad_reply'],
    ['another incident', fixture('state-closed.json', '20200526-99'), 'd3_bad_reply'],
  ])('refuses a reply with %s', (_what, body, code) => {
    expect(thrown(() => parseStateReply(200, body, N))).toMatchObject({ code });
  });

  it('names the state key in the 401 hint', () => {
    const err = thrown(() => parseStateReply(401, fixture('401.json'), N));
    expect(err.detail.hint).toContain('D3_STATE_API_KEY');
  });
});

const FAILURE = /(?<![a-z])(fail|failed|fails|failure|errors?|unsuccessful)(?![a-z])/i;
const SUCCESS = /^(succeed|succeeded|success|successful)[.!]?$/i;
const maybeJson = (v: unknown): unknown => {
  if (typeof v !== 'string' || !/^\s*[[{]/.test(v)) return v;
  try {
    return JSON.parse(v);
  } catch {
    return undefined;
  }
};

describe('parseCloseReply on arbitrary input', () => {
  it('reads a returnData object whose toString is not a function as unproven (fast-check found it)', () => {
    const body = JSON.stringify({ error: '', returnData: { toString: '' } });
    expect(() => parseCloseReply(200, body, ctx)).toThrow(CloseError);
  });

  it('never throws anything but CloseError, whatever the status and body', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), fc.oneof(fc.string(), fc.json()), (status, body) => {
        try {
          parseCloseReply(status, body, ctx);
        } catch (e) {
          if (!(e instanceof CloseError)) throw e;
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never confirms a closure unless error is empty, no status word is a failure and one is a success', () => {
    const word = fc.constantFrom(
      'Succeed',
      'Successful',
      'Failed',
      'FAILURE',
      'Error',
      'unsuccessful',
      '',
      'Done',
      'Queued',
      'Incident not found',
      'Not successful',
    );
    const rec = fc.record({ incidentNumber: fc.constantFrom(N, '20200526-99'), result: word }, { requiredKeys: [] });
    const env = fc.record(
      {
        error: fc.oneof(fc.constantFrom('', ' ', 'Incident is already closed', 'Nope'), fc.string(), fc.jsonValue()),
        returnData: fc.oneof(word, fc.jsonValue()),
        contextData: fc.oneof(
          rec,
          fc.array(rec),
          rec.map((r) => JSON.stringify(r)),
          fc.jsonValue(),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(env, (e) => {
        let closure: ReturnType<typeof parseCloseReply>;
        try {
          closure = parseCloseReply(200, JSON.stringify(e), ctx);
        } catch (err) {
          expect(err).toBeInstanceOf(CloseError);
          return;
        }
        const error = typeof e.error === 'string' ? e.error.trim() : e.error;
        if (closure.alreadyClosed) {
          expect(error).toMatch(/already closed/i);
          return;
        }
        expect(error === '' || error === null || error === undefined).toBe(true);
        if (typeof e.returnData === 'string') expect(e.returnData).not.toMatch(FAILURE);
        const items = [maybeJson(e.contextData)].flat();
        const results: unknown[] = [];
        for (const item of items) {
          const result = (item as { result?: unknown } | null)?.result;
          if (typeof result === 'string') expect(result).not.toMatch(FAILURE);
          if ((item as { incidentNumber?: unknown } | null)?.incidentNumber !== '20200526-99') results.push(result);
        }
        const rd = [maybeJson(e.returnData)].flat() as Array<{ status?: unknown; result?: unknown } | null>;
        const rdWords = rd.map((r) => (typeof r === 'object' ? (r?.result ?? r?.status) : undefined));
        const words = [e.returnData, ...rdWords, ...results].filter((w): w is string => typeof w === 'string');
        expect(words.some((w) => SUCCESS.test(w.trim()))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
