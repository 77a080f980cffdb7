import { describe, expect, it } from 'vitest';
import { readDate } from '../src/dates.js';

describe('a date typed in the range picker', () => {
  it('reads French dates day first, and ISO dates', () => {
    expect(readDate('10/03/2025')).toBe('2025-03-10');
    expect(readDate(' 1/3/2025 ')).toBe('2025-03-01');
    expect(readDate('10.03.2025')).toBe('2025-03-10');
    expect(readDate('10-03-2025')).toBe('2025-03-10');
    expect(readDate('2025-03-10')).toBe('2025-03-10');
    expect(readDate('29/02/2024')).toBe('2024-02-29');
  });

  it('refuses what is not a calendar date rather than guessing', () => {
    for (const bad of ['31/02/2025', '29/02/2025', '2025-02-30', '10/13/2025', '03/10/25', '2025/03/10', 'hier', '', '10 mars 2025']) {
      expect(readDate(bad), bad).toBeUndefined();
    }
  });
});
