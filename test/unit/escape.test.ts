import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSlackText } from '../../src/domain/command-text.ts';
import {
  chunkSafeUserText,
  escapeMrkdwn,
  safeUserText,
  safeUserTextWithin,
  truncate,
} from '../../src/slack/render/escape.ts';

const hasLoneSurrogate = (s: string): boolean => /\p{Surrogate}/u.test(s);
const textArb = fc
  .array(fc.oneof(fc.string({ unit: 'binary' }), fc.constantFrom('&', '<', '>', '@here', '@channel', '😀', '\n')))
  .map((p) => p.join(''));

describe('escapeMrkdwn', () => {
  it('escapes exactly & < >', () => {
    expect(escapeMrkdwn('a & b < c > d "e" \'f\' *g* `h`')).toBe('a &amp; b &lt; c &gt; d "e" \'f\' *g* `h`');
    expect(escapeMrkdwn('&amp;')).toBe('&amp;amp;');
  });

  it('leaves no angle brackets and round-trips through decoding', () => {
    fc.assert(
      fc.property(textArb, (s) => {
        const escaped = escapeMrkdwn(s);
        expect(escaped).not.toMatch(/[<>]/);
        expect(decodeSlackText(escaped)).toBe(s);
      }),
    );
  });
});

describe('safeUserText', () => {
  it.each([
    ['<!channel>', '&lt;!channel&gt;'],
    ['<!here>', '&lt;!here&gt;'],
    ['<@U123>', '&lt;@U123&gt;'],
    ['<https://evil.example|ok>', '&lt;https://evil.example|ok&gt;'],
    ['@channel and @Here and @everyone', '@\u200Bchannel and @\u200BHere and @\u200Beveryone'],
    ['`code` *bold* _it_ ~strike~', '`code` *bold* _it_ ~strike~'],
    ['mail a@b.example', 'mail a@b.example'],
  ])('makes %j inert', (raw, expected) => {
    expect(safeUserText(raw)).toBe(expected);
  });

  it('never leaves markup or a broadcast word', () => {
    fc.assert(
      fc.property(textArb, (s) => {
        const out = safeUserText(s);
        expect(out).not.toMatch(/[<>]/);
        expect(out).not.toMatch(/@(channel|here|everyone)/i);
      }),
    );
  });
});

describe('truncate', () => {
  it('keeps short text and cuts long text with a suffix', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abcdef', 5, '...')).toBe('ab...');
  });

  it('never splits a surrogate pair', () => {
    expect(truncate('a😀b', 3)).toBe('a…');
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.integer({ min: 1, max: 40 }), (s, max) => {
        const out = truncate(s, max);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(hasLoneSurrogate(out)).toBe(false);
      }),
    );
  });
});

describe('safeUserTextWithin', () => {
  it('never cuts an entity in half', () => {
    expect(safeUserTextWithin('a&b', 6)).toBe('a…');
    expect(safeUserTextWithin('a&bc', 7)).toBe('a&amp;…');
  });

  it('fits and stays inert', () => {
    fc.assert(
      fc.property(textArb, fc.integer({ min: 5, max: 60 }), (s, max) => {
        const out = safeUserTextWithin(s, max, '… (more)');
        expect(out.length).toBeLessThanOrEqual(Math.max(max, '… (more)'.length));
        expect(out).not.toMatch(/[<>]|@(channel|here|everyone)/i);
        expect(hasLoneSurrogate(out)).toBe(false);
      }),
    );
  });
});

describe('chunkSafeUserText', () => {
  it('splits into pieces that fit and together give the whole escaped text', () => {
    fc.assert(
      fc.property(textArb, fc.integer({ min: 10, max: 80 }), (s, max) => {
        const pieces = chunkSafeUserText(s, max);
        for (const p of pieces) {
          expect(p.length).toBeGreaterThan(0);
          expect(p.length).toBeLessThanOrEqual(max);
          expect(hasLoneSurrogate(p)).toBe(false);
        }
        expect(pieces.map((p) => decodeSlackText(p.replaceAll('\u200B', ''))).join('')).toBe(
          s.replaceAll('\u200B', ''),
        );
      }),
    );
  });

  it('prefers to break at a space', () => {
    expect(chunkSafeUserText(`${'a'.repeat(8)} ${'b'.repeat(5)}`, 10)).toEqual(['aaaaaaaa ', 'bbbbb']);
  });
});
