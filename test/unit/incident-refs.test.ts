import { describe, expect, it } from 'vitest';
import {
  compileIncidentPattern,
  DEFAULT_INCIDENT_NUMBER_PATTERN,
  findIncidentNumbers,
  REFS_MAX,
} from '../../src/domain/incident-refs.ts';

const d3 = compileIncidentPattern(DEFAULT_INCIDENT_NUMBER_PATTERN)!;

describe('finding incident numbers in a message', () => {
  it('knows D3’s documented formats and nothing that merely looks numeric', () => {
    const text = '20200526-23, 080924-1609, TEST-INCIDENT-73, 2020-05-26, 12345-6, CVE-2021-44228, 1716716400.000200';
    expect(findIncidentNumbers({ text }, d3)).toEqual(['20200526-23', '080924-1609', 'TEST-INCIDENT-73']);
  });

  it('reads rich text, section text and fields, and attachment text, fallback and fields, in that order', () => {
    const message = {
      text: '',
      blocks: [
        {
          type: 'rich_text',
          elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: '20200526-1' }] }],
        },
        {
          type: 'section',
          text: { type: 'mrkdwn', text: '20200526-2' },
          fields: [{ type: 'mrkdwn', text: '20200526-3' }],
        },
      ],
      attachments: [{ text: '20200526-4', fallback: '20200526-5', fields: [{ title: 'x', value: '20200526-6' }] }],
    };
    expect(findIncidentNumbers(message, d3)).toEqual([
      '20200526-1',
      '20200526-2',
      '20200526-3',
      '20200526-4',
      '20200526-5',
      '20200526-6',
    ]);
  });

  it('lists each number once, however often and in whatever case it appears', () => {
    expect(
      findIncidentNumbers({ text: 'TEST-INCIDENT-7 test-incident-7 TEST-INCIDENT-7' }, /TEST-INCIDENT-\d+/gi),
    ).toEqual(['TEST-INCIDENT-7']);
  });

  it('skips a match of the operator’s pattern that breaks the number rules, and stops at the bulk limit', () => {
    expect(findIncidentNumbers({ text: 'INC#42 and INC-43' }, /INC\S\d+/g)).toEqual(['INC-43']);
    const many = Array.from({ length: REFS_MAX + 5 }, (_, i) => `20200526-${i}`).join(' ');
    expect(findIncidentNumbers({ text: many }, d3)).toHaveLength(REFS_MAX);
  });

  it('refuses a pattern that does not compile or matches the empty string', () => {
    expect(compileIncidentPattern('(')).toBeUndefined();
    expect(compileIncidentPattern('\\d*')).toBeUndefined();
    expect(compileIncidentPattern('\\d+')).toBeInstanceOf(RegExp);
  });

  it('ignores what is not a message', () => {
    expect(findIncidentNumbers(null, d3)).toEqual([]);
    expect(findIncidentNumbers({ blocks: 'x', attachments: [null, 3] }, d3)).toEqual([]);
  });
});
