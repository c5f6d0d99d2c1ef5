import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSlackText, incidentNumberProblem, parseCommandText } from '../../src/domain/command-text.ts';

const required = { noteRequired: true };
const optional = { noteRequired: false };

const encodeLikeSlack = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const noteArb = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.constantFrom('\n', '\r\n', ' ', '\t', '  ', '&', '<', '>', '&amp;', '&lt;', '<!channel>', '"', '😀', '👩‍👩‍👧'),
    ),
  )
  .map((parts) => parts.join(''));

describe('decodeSlackText', () => {
  it.each([
    ['a &amp; b &lt;c&gt;', 'a & b <c>'],
    ['&amp;lt;', '&lt;'],
    ['&amp;amp;', '&amp;'],
    ['<@U123|jane>', '@jane'],
    ['<@U123>', '@U123'],
    ['<@W0ABC|@jane>', '@jane'],
    ['<#C123|ops>', '#ops'],
    ['<#C123|>', '#C123'],
    ['<#C123>', '#C123'],
    ['<!here>', '@here'],
    ['<!channel>', '@channel'],
    ['<!everyone>', '@everyone'],
    ['<!here|here>', '@here'],
    ['<!channel|@channel>', '@channel'],
    ['<!subteam^S123|@sec>', '@sec'],
    ['<!subteam^S123>', '@S123'],
    ['<!date^1392734382^{date}|Feb 18, 2014>', 'Feb 18, 2014'],
    ['<https://x.example/a?b=1&amp;c=2|label>', 'label (https://x.example/a?b=1&c=2)'],
    ['<https://x.example>', 'https://x.example'],
    ['<http://example.com|example.com>', 'example.com'],
    ['<mailto:a@b.example|a@b.example>', 'a@b.example'],
    ['<mailto:a@b.example|Alice>', 'Alice (a@b.example)'],
    ['see <https://x.example|the &lt;log&gt;> now', 'see the <log> (https://x.example) now'],
    ['&lt;!channel&gt; stays text', '<!channel> stays text'],
    ['<notmarkup>', '<notmarkup>'],
  ])('decodes %j as %j', (raw, expected) => {
    expect(decodeSlackText(raw)).toBe(expected);
  });
});

describe('incidentNumberProblem', () => {
  it.each(['20200526-23', 'INC_42', '7', `${'a'.repeat(63)}1`])('accepts %j', (n) => {
    expect(incidentNumberProblem(n)).toBeUndefined();
  });

  it.each([
    ['', /missing/],
    ['2020/05', /letters, digits, - and _ \(found “\/”\)/],
    ['20 20', /found U\+0020/],
    ['incident', /digit/],
    ['1'.repeat(65), /64/],
    ['１２３', /found “１”/],
  ])('refuses %j with a reason', (n, reason) => {
    expect(incidentNumberProblem(n)).toMatch(reason);
  });
});

describe('parseCommandText', () => {
  it('opens the modal for empty text', () => {
    expect(parseCommandText('', required)).toEqual({ kind: 'modal' });
    expect(parseCommandText('  \n ', optional)).toEqual({ kind: 'modal' });
  });

  it('reads the number and keeps the whole note', () => {
    const text = '20200526-23   False positive:\n  "reimaged"  WS-0193 ✅\n';
    expect(parseCommandText(text, required)).toEqual({
      kind: 'close',
      incidentNumber: '20200526-23',
      note: 'False positive:\n  "reimaged"  WS-0193 ✅',
    });
  });

  it('splits on a new line after the number', () => {
    expect(parseCommandText('20200526-23\nContained', required)).toEqual({
      kind: 'close',
      incidentNumber: '20200526-23',
      note: 'Contained',
    });
  });

  it('decodes Slack markup in the note for D3', () => {
    expect(parseCommandText('42 by <@U1|jane> in <#C1|ops> &amp; <https://t.example|ticket>', required)).toEqual({
      kind: 'close',
      incidentNumber: '42',
      note: 'by @jane in #ops & ticket (https://t.example)',
    });
  });

  it('opens the pre-filled modal for a number without a note when notes are required', () => {
    expect(parseCommandText('20200526-23', required)).toEqual({ kind: 'modal', incidentNumber: '20200526-23' });
  });

  it('closes at once with an empty note when notes are optional', () => {
    expect(parseCommandText('20200526-23  ', optional)).toEqual({
      kind: 'close',
      incidentNumber: '20200526-23',
      note: '',
    });
  });

  it('refuses a malformed number with a reason instead of opening the modal', () => {
    const parsed = parseCommandText('2020/05/26 note', required);
    expect(parsed).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('/') });
    expect(parseCommandText('<@U1> 20200526-23 note', required).kind).toBe('invalid');
    expect(parseCommandText('closed 20200526-23', required)).toMatchObject({ kind: 'invalid' });
  });

  it('reads keywords in any case', () => {
    expect(parseCommandText('HELP', required)).toEqual({ kind: 'help' });
    expect(parseCommandText('WhoAmI', required)).toEqual({ kind: 'whoami' });
    expect(parseCommandText('History 20200526-23', required)).toEqual({
      kind: 'history',
      incidentNumber: '20200526-23',
    });
  });

  it('requires a valid number for history', () => {
    expect(parseCommandText('history', required)).toMatchObject({ kind: 'invalid' });
    expect(parseCommandText('history 20/20', required)).toMatchObject({ kind: 'invalid' });
  });

  it('reads map with a mention, a username and a site with spaces', () => {
    expect(parseCommandText('map <@U123|jane> jdoe Client A', required)).toEqual({
      kind: 'map',
      slackUserId: 'U123',
      username: 'jdoe',
      site: 'Client A',
    });
    expect(parseCommandText('MAP <@W9ZZ|Jane Doe>   jdoe', required)).toEqual({
      kind: 'map',
      slackUserId: 'W9ZZ',
      username: 'jdoe',
    });
    expect(parseCommandText('map <@U1> <mailto:j@d.example|j@d.example> Ops &amp; IR', required)).toEqual({
      kind: 'map',
      slackUserId: 'U1',
      username: 'j@d.example',
      site: 'Ops & IR',
    });
  });

  it('refuses map and unmap without a real mention', () => {
    expect(parseCommandText('map @jane jdoe', required)).toMatchObject({ kind: 'invalid', reason: /Mention/ });
    expect(parseCommandText('map', required)).toMatchObject({ kind: 'invalid' });
    expect(parseCommandText('map <@U1>', required)).toMatchObject({ kind: 'invalid', reason: /username/ });
    expect(parseCommandText('map <#C1|ops> jdoe', required)).toMatchObject({ kind: 'invalid' });
    expect(parseCommandText('unmap jane', required)).toMatchObject({ kind: 'invalid', reason: /Mention/ });
    expect(parseCommandText('unmap <@U1> <@U2>', required)).toMatchObject({ kind: 'invalid' });
  });

  it('reads unmap', () => {
    expect(parseCommandText('unmap <@U123|jane>', required)).toEqual({ kind: 'unmap', slackUserId: 'U123' });
  });

  it('gives back any note as typed once Slack has escaped it', () => {
    fc.assert(
      fc.property(noteArb, (note) => {
        expect(parseCommandText(`20200526-23 ${encodeLikeSlack(note)}`, optional)).toEqual({
          kind: 'close',
          incidentNumber: '20200526-23',
          note: note.trim(),
        });
      }),
    );
  });

  it('gives back any non-blank note as typed when notes are required', () => {
    fc.assert(
      fc.property(
        noteArb.filter((n) => n.trim() !== ''),
        (note) => {
          const parsed = parseCommandText(`20200526-23 ${encodeLikeSlack(note)}`, required);
          expect(parsed).toEqual({ kind: 'close', incidentNumber: '20200526-23', note: note.trim() });
        },
      ),
    );
  });

  it('never throws', () => {
    const slacky = fc.constantFrom(
      '<',
      '>',
      '|',
      '@',
      '#',
      '!',
      '&amp;',
      '&lt;',
      '<@U1|a>',
      'map',
      'history',
      ' ',
      '\n',
    );
    const textArb = fc.array(fc.oneof(fc.string({ unit: 'binary' }), slacky)).map((p) => p.join(''));
    fc.assert(
      fc.property(textArb, fc.boolean(), (text, noteRequired) => {
        expect(() => parseCommandText(text, { noteRequired })).not.toThrow();
      }),
    );
  });
});
