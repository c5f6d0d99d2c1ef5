import { describe, expect, it } from 'vitest';
import { parseCommandText, parseIncidentList } from '../../src/domain/command-text.ts';

const parse = (text: string, noteRequired = true) => parseCommandText(text, { noteRequired });

describe('a comma list in the first word', () => {
  it('is a bulk close of every number, duplicates collapsed, the note kept whole', () => {
    expect(parse('20200526-23,20200526-24,20200526-31,20200526-24 duplicate of 20200526-22')).toEqual({
      kind: 'bulk',
      incidentNumbers: ['20200526-23', '20200526-24', '20200526-31'],
      note: 'duplicate of 20200526-22',
    });
  });

  it('collapses numbers that differ only in case, keeping the first spelling', () => {
    expect(parse('test-1,TEST-1 n')).toEqual({ kind: 'close', incidentNumber: 'test-1', note: 'n' });
  });

  it('refuses the whole list when one number is invalid, naming it', () => {
    const r = parse('20200526-23,2020/05/26 n');
    expect(r).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('2020/05/26') });
  });

  it('opens the modal pre-filled one number per line when the note is missing', () => {
    expect(parse('20200526-23,20200526-24')).toEqual({ kind: 'modal', incidentNumber: '20200526-23\n20200526-24' });
  });

  it('ignores empty items between commas', () => {
    expect(parse('20200526-23,,20200526-24, n')).toMatchObject({
      kind: 'bulk',
      incidentNumbers: ['20200526-23', '20200526-24'],
    });
  });
});

describe('the modal list', () => {
  it('reads one number per line (and commas), blank lines ignored', () => {
    expect(parseIncidentList('20200526-23\r\n\n 20200526-24 \n20200526-31,20200526-32')).toEqual({
      numbers: ['20200526-23', '20200526-24', '20200526-31', '20200526-32'],
      problems: [],
    });
  });

  it('reports a line that is not a number as a whole', () => {
    expect(parseIncidentList('20200526-23\nnot a number!').problems).toEqual([
      expect.stringMatching(/^not a number!: /),
    ]);
  });
});
