import { describe, expect, it } from 'vitest';
import { FUZZ_CASES, fuzzDriver, fuzzTable, type FuzzResult } from './frames-and-garbage.js';

const GARBAGE_BYTES = 1_000_000;

/**
 * Every serial scale driver fed a million random bytes with its twin's valid frames between them: no
 * exception, no weight made of noise, and the good frames read again as soon as the noise stops, on the
 * same line or after it.
 */
describe(`frames among ${GARBAGE_BYTES.toLocaleString('en')} bytes of noise`, () => {
  const results: FuzzResult[] = [];

  it.each(FUZZ_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const r = fuzzDriver(c, GARBAGE_BYTES);
    results.push(r);
    expect(r.exceptions).toBe(0);
    expect(r.falseReadings).toBe(0);
    expect(r.recovered / r.frames).toBeGreaterThanOrEqual(0.99);
  });

  it('prints the table', () => {
    expect(results).toHaveLength(FUZZ_CASES.length);
    console.info(`\n${fuzzTable(results)}`);
  });
});
