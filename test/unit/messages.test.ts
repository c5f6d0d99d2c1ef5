import { describe, expect, it } from 'vitest';
import { CloseError, type CloseErrorCode } from '../../src/domain/errors.ts';
import type { Closure, Outcome } from '../../src/domain/types.ts';
import { errorMessage, fieldErrorText } from '../../src/slack/render/messages.ts';
import { outcomeMessage } from '../../src/slack/render/outcome.ts';

const allCodes = [
  'bad_incident_number',
  'note_missing',
  'note_too_long',
  'bad_metadata',
  'user_unmapped',
  'user_no_site',
  'channel_not_allowed',
  'user_not_in_group',
  'not_admin',
  'foreign_workspace',
  'close_in_progress',
  'duplicate_request',
  'queue_full',
  'close_handed_over',
  'close_deferred',
  'd3_rejected',
  'd3_bad_request',
  'd3_unauthorized',
  'd3_forbidden',
  'd3_rate_limited',
  'd3_unavailable',
  'd3_unreachable',
  'd3_outcome_unknown',
  'd3_bad_reply',
  'd3_still_open',
  'closed_by_other',
  'closed_unconfirmed',
  'lock_lost',
  'bulk_too_many',
  'internal',
  'disposition_unknown',
  'disposition_missing',
  'disposition_not_set',
  'incident_other_site',
  'confirm_expired',
  'confirm_used',
  'confirm_spent',
  'confirm_pending',
] as const satisfies readonly CloseErrorCode[];

type Missing = Exclude<CloseErrorCode, (typeof allCodes)[number]>;
const listIsComplete: [Missing] extends [never] ? true : false = true;

const ctx = { incidentNumber: '20200526-23', supportContact: '#soc-tooling' };
const markupLeft = (text: string): string[] =>
  text.replace(/<@U[A-Z0-9]+>|<#C[A-Z0-9]+>/g, '').match(/<[^>]*>?/g) ?? [];

const closure = (over: Partial<Closure> = {}): Closure => ({
  incidentNumber: '20200526-23',
  closedBy: 'jdoe',
  closeType: 'False Positive',
  closeDate: '05/26/2020 10:11:12',
  site: 'Security Operations',
  note: 'n',
  ...over,
});

describe('errorMessage', () => {
  it('lists every error code', () => {
    expect(listIsComplete).toBe(true);
    expect(new Set(allCodes).size).toBe(allCodes.length);
  });

  it.each(allCodes)('has words for %s that carry no markup', (code) => {
    const text = errorMessage(new CloseError(code), ctx);
    expect(text.trim().length).toBeGreaterThan(20);
    expect(markupLeft(text)).toEqual([]);
  });

  it.each(allCodes)('keeps technical detail out of %s', (code) => {
    const detail = { status: 401, hint: 'D3_API_KEY_HEADER', reason: undefined };
    const text = errorMessage(new CloseError(code, detail), ctx);
    expect(text).not.toContain('401');
    expect(text).not.toContain('D3_API_KEY');
  });

  it('tells an unmapped user whom to ask', () => {
    expect(errorMessage(new CloseError('user_unmapped'), ctx)).toBe(
      'You are not mapped to a D3 user, so nothing was closed. Ask #soc-tooling to add you to the user map.',
    );
    expect(errorMessage(new CloseError('user_unmapped'), {})).toContain('Ask your Slack admin');
  });

  it('quotes D3’s own words, escaped', () => {
    const text = errorMessage(new CloseError('d3_rejected', { d3Message: 'Incident not found <!channel>' }), ctx);
    expect(text).toBe(
      'D3 refused to close 20200526-23: “Incident not found &lt;!channel&gt;”. Nothing was changed in Slack.',
    );
  });

  it('explains bad credentials without technical detail', () => {
    expect(errorMessage(new CloseError('d3_unauthorized'), ctx)).toBe(
      "D3 did not accept the bot's credentials, so 20200526-23 was not closed. Your D3 admin or the bot's operator needs to check the bot's D3 key.",
    );
  });

  it('says when to retry a rate-limited close', () => {
    expect(errorMessage(new CloseError('d3_rate_limited'), ctx)).toContain('D3 is busy');
    expect(errorMessage(new CloseError('d3_rate_limited'), ctx)).toContain('try again in a minute');
    expect(errorMessage(new CloseError('d3_rate_limited', { retryAfterS: 12 }), ctx)).toContain('in about 12 seconds');
  });

  it('asks to check D3 when the outcome is unknown', () => {
    expect(errorMessage(new CloseError('d3_outcome_unknown'), ctx)).toBe(
      'The bot could not tell whether D3 closed 20200526-23. Check the incident in D3 before trying again.',
    );
  });

  it('tells a list dropped as a repeat what was not sent and what to check if its results never arrive', () => {
    const whole = errorMessage(new CloseError('duplicate_request', { count: 3 }), { supportContact: '#soc-tooling' });
    expect(whole).toBe(
      'This list of 3 incidents was already received, so none of them was sent to D3 again. Its results are shown separately; if they never arrive (the bot may have restarted while closing them), check each incident with /close-incident history and its number, or in D3, before closing it again.',
    );
    const item = errorMessage(new CloseError('duplicate_request', { count: 3 }), ctx);
    expect(item).toContain('20200526-23 was already asked for by this same request');
    expect(item).toContain('/close-incident history 20200526-23 or in D3');
    for (const text of [whole, item]) {
      expect(markupLeft(text)).toEqual([]);
      expect(text).not.toMatch(/closed (by|in)|nothing changed/);
    }
  });

  it('names who holds the incident', () => {
    expect(errorMessage(new CloseError('close_in_progress', { holder: 'U777' }), ctx)).toMatch(
      /^<@U777> is already closing/,
    );
    expect(errorMessage(new CloseError('close_in_progress', { holder: '<!here>' }), ctx)).not.toContain('<!');
    expect(errorMessage(new CloseError('close_in_progress'), ctx)).toMatch(/^Someone is already closing/);
  });

  it('gives the reason a number was refused, escaped', () => {
    const text = errorMessage(new CloseError('bad_incident_number', { reason: 'found “<”' }), {});
    expect(text).toContain('found “&lt;”');
  });

  it('names the note limit', () => {
    expect(errorMessage(new CloseError('note_too_long'), ctx)).toContain('3000');
  });

  it('escapes the incident number and the support contact', () => {
    const text = errorMessage(new CloseError('user_no_site'), {
      incidentNumber: '<!here>',
      supportContact: '<@U1|x> @channel',
    });
    expect(markupLeft(text)).toEqual([]);
    expect(text).not.toMatch(/@channel/);
  });
});

describe('fieldErrorText', () => {
  it.each(allCodes)('is short and plain for %s', (code) => {
    const text = fieldErrorText(code);
    expect(text.length).toBeGreaterThan(0);
    expect(text.length).toBeLessThanOrEqual(150);
    expect(text).not.toContain('<');
  });
});

describe('outcomeMessage', () => {
  it('confirms a closure and where the summary is', () => {
    const outcome: Outcome = { ok: true, closure: closure(), delivery: { status: 'posted', channelId: 'C1234' } };
    expect(outcomeMessage(outcome, ctx).text).toBe(
      'Closed 20200526-23 in D3 as jdoe (Security Operations). The summary is posted in <#C1234>.',
    );
  });

  it('prefers the D3 username it acted as', () => {
    const outcome: Outcome = { ok: true, closure: closure({ closedBy: 'Jane Doe' }) };
    expect(outcomeMessage(outcome, { ...ctx, d3Username: 'jdoe' }).text).toBe(
      'Closed 20200526-23 in D3 as jdoe (Security Operations).',
    );
  });

  it.each([
    ['not_in_channel', /not a member of that channel \(invite it with \/invite/],
    ['channel_not_found', /cannot see that channel; it may be private/],
    ['is_archived', /the channel is archived/],
    ['restricted_action', /Slack refused the message \(restricted_action\)/],
  ])('says why the summary was not posted (%s)', (slackError, words) => {
    const outcome: Outcome = {
      ok: true,
      closure: closure(),
      delivery: { status: 'not_posted', channelId: 'C1234', slackError, willRetry: false },
    };
    const text = outcomeMessage(outcome, ctx).text;
    expect(text).toMatch(/^D3 closed 20200526-23, but the summary could not be posted in <#C1234>: /);
    expect(text).toMatch(words);
    expect(text).not.toContain('will post it');
  });

  it('says the bot will post the summary later when it will', () => {
    const outcome: Outcome = {
      ok: true,
      closure: closure(),
      delivery: { status: 'not_posted', channelId: 'C1234', slackError: 'slack_unreachable', willRetry: true },
    };
    expect(outcomeMessage(outcome, ctx).text).toMatch(/; the bot will post it when Slack is reachable again\.$/);
  });

  it('says nothing changed when D3 had already closed it', () => {
    const outcome: Outcome = { ok: true, closure: closure({ alreadyClosed: true, closedBy: 'Jane Doe' }) };
    expect(outcomeMessage(outcome, ctx).text).toBe(
      '20200526-23 was already closed in D3 (by Jane Doe on 05/26/2020 10:11:12) — nothing changed.',
    );
    const bare: Outcome = {
      ok: true,
      closure: closure({ alreadyClosed: true, closedBy: undefined, closeDate: undefined }),
    };
    expect(outcomeMessage(bare, ctx).text).toBe('20200526-23 was already closed in D3 — nothing changed.');
  });

  it('uses the error words for a failure', () => {
    const error = new CloseError('d3_unavailable');
    expect(outcomeMessage({ ok: false, error }, ctx).text).toBe(errorMessage(error, ctx));
  });

  it('escapes D3 values it repeats', () => {
    const outcome: Outcome = {
      ok: true,
      closure: closure({ closedBy: '<!channel>', site: '<https://evil|x>' }),
      delivery: { status: 'not_posted', channelId: '<!here>', slackError: '<@U1>', willRetry: false },
    };
    expect(markupLeft(outcomeMessage(outcome, ctx).text)).toEqual([]);
  });
});
