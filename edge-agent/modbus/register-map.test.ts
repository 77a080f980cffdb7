import { describe, expect, it } from 'vitest';
import {
  allInterpretations,
  decodeField,
  decodeValue,
  encodeValue,
  planReads,
  readFlag,
  registerFieldSchema,
  registerFlagSchema,
  registerMapSchema,
  wordOrders,
  type RegisterFieldInput,
  type ValueType,
  type WordOrder,
} from './register-map.js';

const field = (f: RegisterFieldInput) => registerFieldSchema.parse(f);

/** [type, order, registers as received, value]: every type under every order, checked against hand-made words. */
const GOLDEN: Array<[ValueType, WordOrder, number[], number]> = [
  // 0x12345678: bytes A=12 B=34 C=56 D=78.
  ['uint32', 'ABCD', [0x1234, 0x5678], 0x12345678],
  ['uint32', 'CDAB', [0x5678, 0x1234], 0x12345678],
  ['uint32', 'BADC', [0x3412, 0x7856], 0x12345678],
  ['uint32', 'DCBA', [0x7856, 0x3412], 0x12345678],
  // Advantech ADAM counter, low word first: reg1 = 0x0002, reg2 = 0x0001 → 1 × 65536 + 2.
  ['uint32', 'CDAB', [0x0002, 0x0001], 65_538],
  ['uint32', 'ABCD', [0xffff, 0xffff], 4_294_967_295],
  // -2 = FFFFFFFE; -123456 = FFFE1DC0.
  ['int32', 'ABCD', [0xffff, 0xfffe], -2],
  ['int32', 'CDAB', [0xfffe, 0xffff], -2],
  ['int32', 'ABCD', [0xfffe, 0x1dc0], -123_456],
  ['int32', 'CDAB', [0x1dc0, 0xfffe], -123_456],
  ['int32', 'BADC', [0xfeff, 0xc01d], -123_456],
  ['int32', 'DCBA', [0xc01d, 0xfeff], -123_456],
  ['int32', 'ABCD', [0x8000, 0x0000], -2_147_483_648],
  ['int32', 'ABCD', [0x7fff, 0xffff], 2_147_483_647],
  // IEEE 754 single: 123.456 = 42F6E979, -1.5 = BFC00000, 12.5 = 41480000.
  ['float32', 'ABCD', [0x42f6, 0xe979], Math.fround(123.456)],
  ['float32', 'CDAB', [0xe979, 0x42f6], Math.fround(123.456)],
  ['float32', 'BADC', [0xf642, 0x79e9], Math.fround(123.456)],
  ['float32', 'DCBA', [0x79e9, 0xf642], Math.fround(123.456)],
  ['float32', 'ABCD', [0xbfc0, 0x0000], -1.5],
  ['float32', 'CDAB', [0x0000, 0x4148], 12.5],
  ['float32', 'ABCD', [0x0000, 0x0000], 0],
  // 16-bit: only the byte swap matters.
  ['uint16', 'ABCD', [0x1234], 0x1234],
  ['uint16', 'CDAB', [0x1234], 0x1234],
  ['uint16', 'BADC', [0x3412], 0x1234],
  ['uint16', 'DCBA', [0x3412], 0x1234],
  ['int16', 'ABCD', [0xffff], -1],
  ['int16', 'ABCD', [0x8000], -32_768],
  ['int16', 'BADC', [0x0080], -32_768],
  ['int16', 'DCBA', [0xcfc7], -14_385], // C7CF
  ['int16', 'CDAB', [0xfffe], -2],
  ['uint16', 'ABCD', [0xffff], 65_535],
];

describe('decodeValue / encodeValue: golden registers', () => {
  it.each(GOLDEN)('%s %s %j → %d', (type, order, words, value) => {
    expect(decodeValue(words, type, order)).toBe(value);
    expect(encodeValue(value, type, order)).toEqual(words);
  });

  it('covers every type under every order', () => {
    const seen = new Set(GOLDEN.map(([t, o]) => `${t}/${o}`));
    for (const t of ['int16', 'uint16', 'int32', 'uint32', 'float32'] as const) for (const o of wordOrders) expect(seen, `${t}/${o}`).toContain(`${t}/${o}`);
  });

  it('round-trips through every type and order', () => {
    const samples: Record<ValueType, number[]> = {
      uint16: [0, 1, 255, 256, 65_535],
      int16: [-32_768, -1, 0, 1, 32_767],
      uint32: [0, 65_535, 65_536, 1_000_000, 4_294_967_295],
      int32: [-2_147_483_648, -65_536, -1, 0, 2_147_483_647],
      float32: [0, -0.5, 1e-3, 150.25, -3.4e38, Infinity].map(Math.fround),
    };
    for (const [type, values] of Object.entries(samples) as Array<[ValueType, number[]]>)
      for (const order of wordOrders) for (const v of values) expect(decodeValue(encodeValue(v, type, order), type, order)).toBe(v);
  });

  it('decodes float32 as IEEE 754, NaN included, never a legacy "scaled integer" float', () => {
    expect(Number.isNaN(decodeValue([0x7fc0, 0x0000], 'float32'))).toBe(true);
    expect(decodeValue([0x3f80, 0x0000], 'float32')).toBe(1); // not 16256 × 65536
    expect(decodeValue([0x0000, 0x0001], 'float32')).toBe(2 ** -149); // smallest denormal
  });

  it('refuses what does not fit', () => {
    expect(() => encodeValue(65_536, 'uint16')).toThrow(RangeError);
    expect(() => encodeValue(-1, 'uint32')).toThrow(RangeError);
    expect(() => encodeValue(1.5, 'int32')).toThrow(RangeError);
    expect(() => decodeValue([0x1234], 'uint32')).toThrow(/needs 2 registers/);
    expect(() => decodeValue([0x10000], 'uint16')).toThrow(/not 16-bit/);
  });
});

describe('decodeField', () => {
  it('reads at the field address in a sparse table, then scales and offsets', () => {
    const regs: number[] = [];
    regs[7] = 0x0001;
    regs[8] = 0xe240; // 123456
    expect(decodeField(regs, field({ register: 7, type: 'uint32', decimals: 2 }))).toBe(1234.56);
    expect(decodeField(regs, field({ register: 7, type: 'uint32', scale: 0.5, offset: -10 }))).toBe(61_718);
    expect(decodeField(regs, field({ register: 8, type: 'uint16' }))).toBe(0xe240);
    expect(decodeField(regs, field({ register: 7, type: 'uint32' }), 3)).toBe(123.456); // device-wide decimals
    expect(() => decodeField(regs, field({ register: 8, type: 'uint32' }))).toThrow(/register 9 was not read/);
  });

  it('divides by 10^decimals exactly (1234 → 12.34, not 12.340000000000002)', () => {
    expect(decodeField([1234], field({ register: 0, type: 'uint16', decimals: 2 }))).toBe(12.34);
    expect(decodeField([1], field({ register: 0, type: 'uint16', decimals: 1 }))).toBe(0.1);
  });

  describe('sign bits: absolute values with the sign elsewhere', () => {
    // Dini Argeo DGT4X: 30001–02 gross, 30003–04 net, 30005 b0 net sign, b1 gross sign.
    const gross = field({ register: 0, type: 'uint32', decimals: 2, sign: { register: 4, bit: 1 } });
    const net = field({ register: 2, type: 'uint32', decimals: 2, sign: { register: 4, bit: 0 } });
    const regs = (status: number) => [0x0000, 0x04d2, 0x0000, 0x01f4, status]; // 12.34, 5.00

    it.each<[number, number, number]>([
      [0b00, 12.34, 5],
      [0b01, 12.34, -5],
      [0b10, -12.34, 5],
      [0b11, -12.34, -5],
    ])('status %i → gross %d, net %d', (status, g, n) => {
      expect(decodeField(regs(status), gross)).toBe(g);
      expect(decodeField(regs(status), net)).toBe(n);
    });

    it('an active-low sign bit, and never -0', () => {
      const f = field({ register: 0, type: 'uint16', sign: { register: 1, bit: 15, activeLow: true } });
      expect(decodeField([7, 0x0000], f)).toBe(-7);
      expect(decodeField([7, 0x8000], f)).toBe(7);
      expect(Object.is(decodeField([0, 0x0000], f), 0)).toBe(true);
    });

    it('a sign bit on a value that already looks negative keeps it negative', () => {
      const f = field({ register: 0, type: 'int16', sign: { register: 1, bit: 0 } });
      expect(decodeField([0xffff, 1], f)).toBe(-1);
    });
  });
});

describe('readFlag', () => {
  const flag = (f: object) => registerFlagSchema.parse(f);
  it('reads a bit, its polarity, a multi-bit value, and any of several', () => {
    const status = [0b1000_1000_0000_1100];
    expect(readFlag(status, flag({ register: 0, bit: 11 }))).toBe(true);
    expect(readFlag(status, flag({ register: 0, bit: 12 }))).toBe(false);
    expect(readFlag(status, flag({ register: 0, bit: 12, activeLow: true }))).toBe(true);
    // HBM limit bits 2–3: 1 underload, 2 overload; 3 here.
    expect(readFlag(status, flag({ register: 0, bit: 2, width: 2, equals: 3 }))).toBe(true);
    expect(readFlag(status, flag({ register: 0, bit: 2, width: 2, equals: 2 }))).toBe(false);
    expect(readFlag(status, [flag({ register: 0, bit: 0 }), flag({ register: 0, bit: 15 })])).toBe(true);
  });

  it('refuses flags that cannot be read', () => {
    expect(() => flag({ register: 0, bit: 15, width: 2, equals: 1 })).toThrow(/bit 15/);
    expect(() => flag({ register: 0, bit: 2, width: 2 })).toThrow(/needs `equals`/);
    expect(() => flag({ register: 0, bit: 2, width: 2, equals: 4 })).toThrow(/does not fit/);
    expect(() => flag({ register: 0, bit: 2, polarity: 'low' })).toThrow(/polarity/);
  });
});

describe('allInterpretations', () => {
  it('gives every type × order of the first registers, for a probe', () => {
    const all = allInterpretations([0x42f6, 0xe979]);
    expect(all).toHaveLength(5 * 4);
    expect(all).toContainEqual({ type: 'float32', order: 'ABCD', value: Math.fround(123.456) });
    expect(all).toContainEqual({ type: 'uint32', order: 'CDAB', value: 0xe97942f6 });
    expect(all).toContainEqual({ type: 'int16', order: 'ABCD', value: 0x42f6 });
    expect(all).toContainEqual({ type: 'uint16', order: 'BADC', value: 0xf642 });
    // One register: only the 16-bit readings.
    expect(allInterpretations([0x00ff]).map((i) => i.type)).toEqual(Array(8).fill('int16').fill('uint16', 4));
  });
});

describe('planReads', () => {
  it('merges contiguous spans per table, never splits a 32-bit value, never bridges a gap', () => {
    expect(
      planReads([
        { kind: 'input', register: 4, count: 1 },
        { kind: 'input', register: 0, count: 2 },
        { kind: 'input', register: 2, count: 2 },
        { kind: 'holding', register: 0x1008, count: 2 },
        { kind: 'holding', register: 0x1000, count: 2 },
      ]),
    ).toEqual([
      { kind: 'holding', register: 0x1000, count: 2 },
      { kind: 'holding', register: 0x1008, count: 2 },
      { kind: 'input', register: 0, count: 5 },
    ]);
    // Laumas: at most 32 registers in a request; a pair straddling the limit starts the next request.
    const spans = Array.from({ length: 20 }, (_, i) => ({ kind: 'holding' as const, register: i * 2, count: 2 }));
    const plan = planReads(spans, 32);
    expect(plan).toEqual([
      { kind: 'holding', register: 0, count: 32 },
      { kind: 'holding', register: 32, count: 8 },
    ]);
    expect(planReads([{ kind: 'holding', register: 0, count: 2 }, { kind: 'holding', register: 1, count: 2 }], 2)).toHaveLength(2);
  });
});

describe('registerMapSchema', () => {
  it('is data: defaults filled, unknown keys refused with their path', () => {
    expect(registerMapSchema.parse({ fields: { in: { register: 0, type: 'uint32', wordOrder: 'CDAB' } } })).toEqual({
      kind: 'holding',
      maxRegistersPerRequest: 125,
      fields: { in: { register: 0, type: 'uint32', wordOrder: 'CDAB', offset: 0 } },
      flags: {},
    });
    const bad = registerMapSchema.safeParse({ fields: { in: { register: 0, type: 'uint32', order: 'CDAB' } } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['fields', 'in']);
    expect(registerFieldSchema.safeParse({ register: 0, type: 'uint16', scale: 2, decimals: 1 }).success).toBe(false);
    expect(registerFieldSchema.safeParse({ register: 0, type: 'float32', sign: { register: 2, bit: 0 } }).success).toBe(false);
    expect(registerFieldSchema.safeParse({ register: 70_000, type: 'uint16' }).success).toBe(false);
  });
});
