import { describe, expect, it } from 'vitest';
import { createRefusalBudget } from '../../src/domain/audit.ts';

describe('the per-user refusal budget', () => {
  it('records the first few in a window, flags the first one over once, and opens a new window later', () => {
    let now = 0;
    const budget = createRefusalBudget(2, 60_000, () => now);
    const take = (n: number, user = 'U1') => Array.from({ length: n }, () => budget.take(user));
    expect(take(4)).toEqual(['record', 'record', 'first_unrecorded', 'unrecorded']);
    expect(take(1, 'U2')).toEqual(['record']);
    now = 59_999;
    expect(take(1)).toEqual(['unrecorded']);
    now = 60_000;
    expect(take(3)).toEqual(['record', 'record', 'first_unrecorded']);
    expect(take(2, 'U2')).toEqual(['record', 'record']);
  });
});
