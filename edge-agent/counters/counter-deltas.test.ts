import { describe, expect, it } from 'vitest';
import { channelDelta, CounterDeltas, counterDeltaOptionsSchema, type CounterDeltaOptionsInput } from './counter-deltas.js';

const M16 = 65_536;
const M32 = 2 ** 32;
const DEC = 1_000_000;
const defaults = counterDeltaOptionsSchema.parse({});

/** Feeds raw `in` values (out stays 0) and returns what each reading counted. */
function run(modulo: number, raws: number[], options: CounterDeltaOptionsInput = {}): Array<number | string> {
  const d = new CounterDeltas(options);
  return raws.map((raw) => {
    const r = d.next({ in: raw, out: 0, modulo });
    return r.kind === 'deltas' ? r.in : r.kind;
  });
}

describe('channelDelta', () => {
  it.each<[string, number, number, number, { delta: number; kind: string }]>([
    ['a plain increase', 100, 103, M16, { delta: 3, kind: 'count' }],
    ['no change', 100, 100, M16, { delta: 0, kind: 'count' }],
    ['a 16-bit wrap', 65_530, 5, M16, { delta: 11, kind: 'wrap' }],
    ['a 16-bit wrap from the very top', 65_535, 0, M16, { delta: 1, kind: 'wrap' }],
    ['a 32-bit wrap', M32 - 3, 2, M32, { delta: 5, kind: 'wrap' }],
    ['a decimal wrap at 999999', 999_998, 3, DEC, { delta: 5, kind: 'wrap' }],
    ['a drop far from the top (power cut)', 5_000, 3, M16, { delta: 3, kind: 'reset' }],
    ['a drop to 0', 40, 0, DEC, { delta: 0, kind: 'reset' }],
    ['an implausible jump forward', 500, 100_000, M32, { delta: 0, kind: 'reset' }],
    ['a drop to a value above the plausible maximum', 900_000, 5_000, DEC, { delta: 0, kind: 'reset' }],
    ['a top-to-bottom drop too large to be a wrap', 60_000, 6_000, M16, { delta: 0, kind: 'reset' }],
    // The documented ambiguity: a power cut just below the top reads as a wrap, bounded by the maximum.
    ['a reset just below the top', 65_530, 0, M16, { delta: 6, kind: 'wrap' }],
  ])('%s', (_name, last, raw, modulo, expected) => {
    expect(channelDelta(last, raw, modulo, defaults)).toEqual(expected);
  });

  it('bounds a wrap by maxDeltaPerReading and by wrapWindow', () => {
    const wide = { wrapWindow: 0.1, maxDeltaPerReading: 5_000 };
    expect(channelDelta(64_000, 5, M16, wide)).toEqual({ delta: 1_541, kind: 'wrap' });
    expect(channelDelta(64_000, 5, M16, { ...wide, wrapWindow: 0.01 })).toEqual({ delta: 5, kind: 'reset' });
    expect(channelDelta(64_000, 5, M16, defaults)).toEqual({ delta: 5, kind: 'reset' }); // 1541 > 1000
  });
});

describe('CounterDeltas', () => {
  it('takes the first reading as a baseline only', () => {
    const d = new CounterDeltas();
    expect(d.next({ in: 12_345, out: 12_000, modulo: M32 })).toEqual({ kind: 'baseline', in: 0, out: 0, reason: 'first reading' });
    expect(d.next({ in: 12_347, out: 12_001, modulo: M32 })).toEqual({ kind: 'deltas', in: 2, out: 1, inKind: 'count', outKind: 'count' });
    expect(d.baseline).toEqual({ in: 12_347, out: 12_001, modulo: M32 });
  });

  it('counts through wraps of 16-bit, 32-bit and decimal counters', () => {
    expect(run(M16, [65_500, 65_530, 4, 10])).toEqual(['baseline', 30, 10, 6]);
    expect(run(M32, [M32 - 10, M32 - 1, 7])).toEqual(['baseline', 9, 8]);
    expect(run(DEC, [999_990, 999_999, 0, 12])).toEqual(['baseline', 9, 1, 12]);
  });

  it('judges in and out separately', () => {
    const d = new CounterDeltas({}, { in: 65_534, out: 300, modulo: M16 });
    expect(d.next({ in: 2, out: 305, modulo: M16 })).toEqual({ kind: 'deltas', in: 4, out: 5, inKind: 'wrap', outKind: 'count' });
  });

  it('counts a power-cut reset once the next reading confirms it: the new raw value is the delta', () => {
    expect(run(M16, [5_000, 5_004, 3, 7, 9])).toEqual(['baseline', 4, 'held', 7, 2]);
    const d = new CounterDeltas({}, { in: 800, out: 790, modulo: DEC });
    expect(d.next({ in: 2, out: 0, modulo: DEC })).toMatchObject({ kind: 'held', reason: 'in 800 → 2, out 790 → 0 looks like a reset; waiting for the next reading to confirm it' });
    expect(d.baseline).toEqual({ in: 800, out: 790, modulo: DEC }); // not accepted yet
    expect(d.next({ in: 3, out: 1, modulo: DEC })).toEqual({ kind: 'deltas', in: 3, out: 1, inKind: 'reset', outKind: 'reset', held: 'confirmed' });
  });

  it('confirms a reset whose counters are still at 0', () => {
    expect(run(M16, [200, 0, 0, 1])).toEqual(['baseline', 'held', 0, 1]);
  });

  it('ignores a reading that is not repeated (a glitch), without phantom visitors', () => {
    // 500 → 3 000 000 → 502: without the confirmation the way back would count 502.
    expect(run(M32, [500, 3_000_000, 502, 503])).toEqual(['baseline', 'held', 2, 1]);
    const d = new CounterDeltas({}, { in: 500, out: 0, modulo: M32 });
    d.next({ in: 7, out: 0, modulo: M32 });
    expect(d.next({ in: 501, out: 0, modulo: M32 })).toMatchObject({ kind: 'deltas', in: 1, held: 'ignored' });
  });

  it('refuses an implausible jump: a new baseline, then counts from it', () => {
    expect(run(M32, [500, 100_000, 100_005, 100_006])).toEqual(['baseline', 'held', 5, 1]);
    expect(run(DEC, [10, 5_000, 5_000])).toEqual(['baseline', 'held', 0]);
    // A lower maximum makes smaller jumps implausible.
    expect(run(M16, [10, 30, 31], { maxDeltaPerReading: 10 })).toEqual(['baseline', 'held', 1]);
  });

  it('keeps holding while readings disagree with each other', () => {
    expect(run(M32, [500, 100_000, 3_000_000, 3_000_002])).toEqual(['baseline', 'held', 'held', 2]);
  });

  it('starts from a persisted baseline: a restart counts only what came since', () => {
    const d = new CounterDeltas({}, { in: 1_000, out: 990, modulo: M16 });
    expect(d.next({ in: 1_012, out: 995, modulo: M16 })).toMatchObject({ kind: 'deltas', in: 12, out: 5 });
  });

  it('takes a new baseline when the modulo changes', () => {
    const d = new CounterDeltas({}, { in: 1_000, out: 990, modulo: M16 });
    expect(d.next({ in: 1_000, out: 990, modulo: M32 })).toEqual({ kind: 'baseline', in: 0, out: 0, reason: 'modulo changed from 65536 to 4294967296' });
  });

  it.each([
    [{ in: 65_536, out: 0, modulo: M16 }, /raw in count 65536 is not an integer in \[0, 65536\)/],
    [{ in: 1, out: -1, modulo: M16 }, /raw out count -1/],
    [{ in: 1.5, out: 0, modulo: M16 }, /raw in count 1.5/],
    [{ in: 1, out: 0, modulo: 1 }, /modulo 1/],
  ])('refuses an impossible reading %j and keeps its baseline', (reading, reason) => {
    const d = new CounterDeltas({}, { in: 1, out: 0, modulo: M16 });
    const r = d.next(reading);
    expect(r.kind).toBe('invalid');
    expect(r.kind === 'invalid' && r.reason).toMatch(reason);
    expect(d.baseline).toEqual({ in: 1, out: 0, modulo: M16 });
  });

  it('validates its options', () => {
    expect(() => new CounterDeltas({ wrapWindow: 0.6 })).toThrow();
    expect(() => new CounterDeltas({ maxDeltaPerReading: 0 })).toThrow();
    expect(counterDeltaOptionsSchema.safeParse({ window: 0.1 }).success).toBe(false);
  });
});
