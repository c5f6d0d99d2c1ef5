import { describe, expect, it } from 'vitest';
import { CloseError } from '../../src/domain/errors.ts';

/** A stack only where it helps: an outcome (refusal, D3's answer) skips V8's stack capture, a bug keeps it. */
describe('CloseError', () => {
  function thrownFrom(make: () => Error): Error {
    const deep = () => make();
    return deep();
  }

  it('captures no stack frames for an outcome such as queue_full', () => {
    const e = thrownFrom(() => new CloseError('queue_full'));
    expect(e.stack?.split('\n').filter((l) => l.trim().startsWith('at '))).toEqual([]);
    expect(e.message).toBe('queue_full');
    expect(e.name).toBe('CloseError');
  });

  it('keeps the stack of an internal error, and its cause', () => {
    const cause = new Error('boom');
    const e = thrownFrom(() => new CloseError('internal', {}, { cause }));
    expect(e.stack).toMatch(/\n\s+at /);
    expect(e.cause).toBe(cause);
  });

  it('leaves Error.stackTraceLimit as it found it', () => {
    const before = Error.stackTraceLimit;
    new CloseError('d3_unavailable');
    expect(Error.stackTraceLimit).toBe(before);
    expect(new Error('plain').stack).toMatch(/\n\s+at /);
  });
});
