import { z } from 'zod';
import type { ModbusIo } from './bus.js';

/**
 * Register maps are data: where a value lives, how its bytes are ordered, how it is scaled, which bits
 * carry its sign and the device's status. Addresses are protocol addresses, as on the wire: holding
 * register 40001 is `kind: holding, register: 0`, input register 30005 is `kind: input, register: 4`.
 */

export const registerKinds = ['holding', 'input'] as const;
export type RegisterKind = (typeof registerKinds)[number];

export const valueTypes = ['int16', 'uint16', 'int32', 'uint32', 'float32'] as const;
export type ValueType = (typeof valueTypes)[number];

/**
 * Byte order of a value, A being its most significant byte, as the registers carry it. ABCD: high word first,
 * big-endian (the Modbus default); CDAB: low word first (Advantech ADAM, many PLCs); BADC: bytes swapped in
 * each word; DCBA: little-endian. For 16-bit types only the byte swap matters (CDAB reads as ABCD, DCBA as BADC).
 */
export const wordOrders = ['ABCD', 'DCBA', 'BADC', 'CDAB'] as const;
export type WordOrder = (typeof wordOrders)[number];

export const registerKindSchema = z.enum(registerKinds);
const address = z.number().int().min(0).max(65_535);
const bitIndex = z.number().int().min(0).max(15);

/** Where a group of bits lives; device maps extend it (a unit code with its table of units). */
export const registerBitsShape = {
  /** Defaults to the map's kind. */
  kind: registerKindSchema.optional(),
  register: address,
  /** Lowest bit of the group. */
  bit: bitIndex,
  width: z.number().int().min(1).max(16).default(1),
};

/** What every group of bits must satisfy: it stays inside its 16-bit register. */
export function checkBitsFit(b: { bit: number; width: number }, ctx: z.RefinementCtx): void {
  if (b.bit + b.width > 16) ctx.addIssue({ code: 'custom', path: ['width'], message: 'bit + width must not pass bit 15' });
}

/** A group of bits in one register (a decimals count, a unit code). */
export const registerBitsSchema = z.object(registerBitsShape).strict().superRefine(checkBitsFit);

const flagShape = {
  register: address,
  bit: bitIndex,
  /** A 1-bit flag active when the bit is 0. */
  activeLow: z.boolean().default(false),
  /** A multi-bit field (HBM limit bits 2–3: 1 under, 2 over) is active when it equals `equals`. */
  width: z.number().int().min(1).max(16).default(1),
  equals: z.number().int().min(0).max(65_535).optional(),
};

function checkFlag(f: { bit: number; width: number; activeLow: boolean; equals?: number | undefined }, ctx: z.RefinementCtx): void {
  checkBitsFit(f, ctx);
  if (f.width > 1 && f.equals === undefined) ctx.addIssue({ code: 'custom', path: ['equals'], message: 'a flag wider than 1 bit needs `equals`' });
  if (f.width > 1 && f.activeLow) ctx.addIssue({ code: 'custom', path: ['activeLow'], message: 'activeLow is for 1-bit flags; use `equals`' });
  if (f.equals !== undefined && f.equals >= 2 ** f.width) ctx.addIssue({ code: 'custom', path: ['equals'], message: `does not fit in ${f.width} bit(s)` });
}

/** A status bit (stable, overload, net…) with its polarity. */
export const registerFlagSchema = z
  .object({ kind: registerKindSchema.optional(), ...flagShape })
  .strict()
  .superRefine(checkFlag);

/**
 * A device fault a status flag reports (a load cell error, an ADC fault, a weight beyond the converter's
 * range): while it is active the registers hold no weight, and the reason says which fault it is.
 */
export const registerErrorSchema = z
  .object({ kind: registerKindSchema.optional(), ...flagShape, reason: z.string().min(1) })
  .strict()
  .superRefine(checkFlag);

/** A flag, or several of which any one makes it active (Laumas: overload on bit 2 or bit 3). */
export const registerFlagsSchema = z.union([registerFlagSchema, z.array(registerFlagSchema).min(1)]);

/** A value field: one or two registers decoded, signed, scaled. */
export const registerFieldSchema = z
  .object({
    /** Defaults to the map's kind. */
    kind: registerKindSchema.optional(),
    register: address,
    type: z.enum(valueTypes),
    wordOrder: z.enum(wordOrders).default('ABCD'),
    /** The value is multiplied by `scale`, or divided by 10^decimals: give one or neither. */
    scale: z.number().refine((s) => s !== 0 && Number.isFinite(s), 'must be a non-zero number').optional(),
    decimals: z.number().int().min(0).max(9).optional(),
    /** Added after scaling. */
    offset: z.number().default(0),
    /** For values sent as a magnitude with a separate sign bit (in the same register table): negative when active. */
    sign: z.object(flagShape).strict().superRefine(checkFlag).optional(),
  })
  .strict()
  .refine((f) => f.scale === undefined || f.decimals === undefined, { message: 'give scale or decimals, not both', path: ['decimals'] })
  .refine((f) => f.type !== 'float32' || f.sign === undefined, { message: 'a float carries its own sign', path: ['sign'] });

export type RegisterBits = z.infer<typeof registerBitsSchema>;
export type RegisterFlag = z.infer<typeof registerFlagSchema>;
export type RegisterFlags = z.infer<typeof registerFlagsSchema>;
export type RegisterField = z.infer<typeof registerFieldSchema>;
export type RegisterFieldInput = z.input<typeof registerFieldSchema>;

/** What a map shares whatever it describes: its default table and the device's request size limit. */
export const registerMapBaseShape = {
  /** The table fields and flags are in unless they say otherwise. */
  kind: registerKindSchema.default('holding'),
  /** The most registers the device answers in one request (Modbus allows 125; Laumas TLU 32). */
  maxRegistersPerRequest: z.number().int().min(2).max(125).default(125),
};

/** A generic register map: named values and named status flags. Device maps (scale presets) refine its keys. */
export const registerMapSchema = z
  .object({
    ...registerMapBaseShape,
    fields: z.record(z.string().min(1), registerFieldSchema).default({}),
    flags: z.record(z.string().min(1), registerFlagsSchema).default({}),
  })
  .strict();

export type RegisterMap = z.infer<typeof registerMapSchema>;

/** Register values by protocol address (a sparse array per table), as a poll read them. */
export type RegisterTable = ReadonlyArray<number | undefined>;
export type RegisterImage = Record<RegisterKind, RegisterTable>;

export function registerCount(type: ValueType): 1 | 2 {
  return type === 'int16' || type === 'uint16' ? 1 : 2;
}

/** Positions of bytes A B C D in the order the registers carry them. */
const BYTE_POSITIONS: Record<WordOrder, readonly [number, number, number, number]> = {
  ABCD: [0, 1, 2, 3],
  CDAB: [2, 3, 0, 1],
  BADC: [1, 0, 3, 2],
  DCBA: [3, 2, 1, 0],
};

/** The bytes ABCD (most significant first) of registers received in `order`. */
function toAbcd(words: readonly number[], type: ValueType, order: WordOrder): DataView {
  const view = new DataView(new ArrayBuffer(4));
  if (registerCount(type) === 1) {
    const w = words[0]!;
    const swapped = order === 'BADC' || order === 'DCBA';
    view.setUint16(0, swapped ? ((w & 0xff) << 8) | (w >> 8) : w);
    return view;
  }
  const wire = [words[0]! >> 8, words[0]! & 0xff, words[1]! >> 8, words[1]! & 0xff];
  BYTE_POSITIONS[order].forEach((pos, i) => view.setUint8(i, wire[pos]!));
  return view;
}

/** The raw value of registers `words` (1 or 2 of them, as read) under `type` and `order`. float32 is IEEE 754. */
export function decodeValue(words: readonly number[], type: ValueType, order: WordOrder = 'ABCD'): number {
  if (words.length < registerCount(type)) throw new RangeError(`${type} needs ${registerCount(type)} registers, got ${words.length}`);
  for (const w of words) if (!Number.isInteger(w) || w < 0 || w > 0xffff) throw new RangeError(`register value ${w} is not 16-bit`);
  const v = toAbcd(words, type, order);
  switch (type) {
    case 'uint16':
      return v.getUint16(0);
    case 'int16':
      return v.getInt16(0);
    case 'uint32':
      return v.getUint32(0);
    case 'int32':
      return v.getInt32(0);
    case 'float32':
      return v.getFloat32(0);
  }
}

/** The registers that carry `value` as `type` in `order`: the inverse of decodeValue (simulators, tests). */
export function encodeValue(value: number, type: ValueType, order: WordOrder = 'ABCD'): number[] {
  const v = new DataView(new ArrayBuffer(4));
  const range: Partial<Record<ValueType, [number, number]>> = {
    uint16: [0, 0xffff],
    int16: [-0x8000, 0x7fff],
    uint32: [0, 0xffff_ffff],
    int32: [-0x8000_0000, 0x7fff_ffff],
  };
  const limits = range[type];
  if (limits && (!Number.isInteger(value) || value < limits[0] || value > limits[1])) throw new RangeError(`${value} does not fit ${type}`);
  switch (type) {
    case 'uint16':
    case 'int16':
      v.setUint16(0, value & 0xffff);
      break;
    case 'uint32':
    case 'int32':
      v.setUint32(0, value >>> 0);
      break;
    case 'float32':
      v.setFloat32(0, value);
  }
  if (registerCount(type) === 1) {
    const w = v.getUint16(0);
    return [order === 'BADC' || order === 'DCBA' ? ((w & 0xff) << 8) | (w >> 8) : w];
  }
  const wire = [0, 0, 0, 0];
  BYTE_POSITIONS[order].forEach((pos, i) => (wire[pos] = v.getUint8(i)));
  return [(wire[0]! << 8) | wire[1]!, (wire[2]! << 8) | wire[3]!];
}

function readRegister(registers: RegisterTable, register: number): number {
  const value = registers[register];
  if (value === undefined) throw new RangeError(`register ${register} was not read`);
  return value;
}

/** The unsigned value of a group of bits. */
export function readBits(registers: RegisterTable, bits: { register: number; bit: number; width: number }): number {
  return (readRegister(registers, bits.register) >> bits.bit) & (2 ** bits.width - 1);
}

/** Whether a flag (or any of several) is active. */
export function readFlag(registers: RegisterTable, flag: Omit<RegisterFlag, 'kind'> | ReadonlyArray<Omit<RegisterFlag, 'kind'>>): boolean {
  if (Array.isArray(flag)) return flag.some((f) => readFlag(registers, f));
  const f = flag as Omit<RegisterFlag, 'kind'>;
  const value = readBits(registers, f);
  return value === (f.equals ?? (f.activeLow ? 0 : 1));
}

/**
 * The value of `field` in `registers` (the table of its kind, by protocol address): raw value, made negative
 * when its sign bit says so, times its scale (or over 10^decimals), plus its offset. Throws if a register is missing.
 */
export function decodeField(registers: RegisterTable, field: RegisterField, fallbackDecimals = 0): number {
  const words = Array.from({ length: registerCount(field.type) }, (_, i) => readRegister(registers, field.register + i));
  let value = decodeValue(words, field.type, field.wordOrder);
  if (field.sign && readFlag(registers, field.sign)) value = -Math.abs(value);
  // Dividing by 10^n rather than multiplying by 10^-n keeps 1234 / 100 exactly 12.34.
  const scaled = field.scale !== undefined ? value * field.scale : value / 10 ** (field.decimals ?? fallbackDecimals);
  const result = scaled + field.offset;
  return result === 0 ? 0 : result; // no -0 from a negative sign on zero
}

export interface Interpretation {
  type: ValueType;
  order: WordOrder;
  value: number;
}

/**
 * The value of the first one or two registers under every type × order: what a probe shows a user who does not
 * know the map (the right reading is the one that matches the display). 32-bit types need two registers.
 */
export function allInterpretations(registers: readonly number[]): Interpretation[] {
  const out: Interpretation[] = [];
  for (const type of valueTypes) {
    if (registers.length < registerCount(type)) continue;
    for (const order of wordOrders) out.push({ type, order, value: decodeValue(registers.slice(0, registerCount(type)), type, order) });
  }
  return out;
}

/** A run of registers a decoder needs. */
export interface RegisterSpan {
  kind: RegisterKind;
  register: number;
  count: number;
}

/** The spans of a field (its value and its sign bit) and of bits or flags, with the map's default kind. */
export function fieldSpans(field: RegisterField, defaultKind: RegisterKind): RegisterSpan[] {
  const kind = field.kind ?? defaultKind;
  const spans: RegisterSpan[] = [{ kind, register: field.register, count: registerCount(field.type) }];
  if (field.sign) spans.push({ kind, register: field.sign.register, count: 1 });
  return spans;
}

export function bitsSpans(bits: RegisterBits | RegisterFlags, defaultKind: RegisterKind): RegisterSpan[] {
  const list = Array.isArray(bits) ? bits : [bits];
  return list.map((b) => ({ kind: b.kind ?? defaultKind, register: b.register, count: 1 }));
}

/**
 * The fewest requests that read `spans`: contiguous or overlapping spans of a table share one request up to
 * `maxPerRequest` registers, and a 32-bit value is never split across two requests (its halves would be read
 * at different moments). Gaps are not bridged: a device may refuse a read across registers it does not define.
 */
export function planReads(spans: readonly RegisterSpan[], maxPerRequest = 125): RegisterSpan[] {
  const plan: RegisterSpan[] = [];
  for (const kind of registerKinds) {
    const sorted = spans.filter((s) => s.kind === kind).sort((a, b) => a.register - b.register || b.count - a.count);
    let current: RegisterSpan | undefined;
    for (const span of sorted) {
      const end = span.register + span.count;
      if (current && span.register <= current.register + current.count && end - current.register <= maxPerRequest) {
        current.count = Math.max(current.count, end - current.register);
        continue;
      }
      current = { kind, register: span.register, count: span.count };
      plan.push(current);
    }
  }
  return plan;
}

/** Runs the planned reads in order and gathers the answers by table and address. */
export async function readImage(io: ModbusIo, plan: readonly RegisterSpan[]): Promise<RegisterImage> {
  const image: { holding: number[]; input: number[] } = { holding: [], input: [] };
  for (const span of plan) {
    const values = await io.readRegisters(span.kind, span.register, span.count);
    if (values.length < span.count) throw new Error(`asked ${span.count} ${span.kind} registers at ${span.register}, got ${values.length}`);
    values.slice(0, span.count).forEach((v, i) => (image[span.kind][span.register + i] = v));
  }
  return image;
}

/** The registers a poll read, for logs and sniffers: `input 0: 0000 04D2 0000 01F4 0024`. */
export function printRegisters(image: RegisterImage, plan: readonly RegisterSpan[]): string {
  return plan
    .map((span) => {
      const words = Array.from({ length: span.count }, (_, i) => (image[span.kind][span.register + i] ?? 0).toString(16).toUpperCase().padStart(4, '0'));
      return `${span.kind} ${span.register}: ${words.join(' ')}`;
    })
    .join(' | ');
}
