import { z } from 'zod';
import { listScalePresets, loadScalePreset } from '../drivers/modbus-scale/presets.js';
import type { ModbusBusConfigInput, ModbusTransportConfig } from '../modbus/config.js';
import { createModbusBus } from '../modbus/modbus-bus.js';
import type { ModbusSlave } from '../modbus/bus.js';
import { allInterpretations, printRegisters, registerCount, valueTypes, wordOrders, type RegisterImage, type RegisterKind, type ValueType, type WordOrder } from '../modbus/register-map.js';
import { serialTransportSchema } from '../transport/config.js';
import { ProbeError } from './probe-error.js';

/** Modbus allows at most 125 registers in one FC03/FC04 answer. */
const MAX_COUNT = 125;
/** Matches listed under the table; the rest are marked in it. */
const SHOWN_MATCHES = 4;

/** `probe modbus`'s options, as the command line gives them (validated here). */
export const modbusProbeOptionsSchema = z
  .object({
    /** RTU on a local serial port (RS-485 adapter). */
    port: z.string().min(1).optional(),
    baud: z.coerce.number().int().positive().default(9600),
    dataBits: z.coerce.number().pipe(serialTransportSchema.shape.dataBits.unwrap()).default(8),
    parity: serialTransportSchema.shape.parity.unwrap().default('none'),
    stopBits: z.coerce.number().pipe(serialTransportSchema.shape.stopBits.unwrap()).default(1),
    /** Modbus TCP, or RTU frames over TCP through a serial device server with `rtuOverTcp`. */
    host: z.string().min(1).optional(),
    tcpPort: z.coerce.number().int().min(1).max(65_535).optional(),
    rtuOverTcp: z.boolean().default(false),
    unit: z.coerce.number().int().min(0).max(255).default(1),
    /** A protocol address (decimal or 0x hex), or register notation 40001 / 30001 (400001 / 300001). */
    address: z.string().min(1).default('0'),
    count: z.coerce.number().int().min(1).max(MAX_COUNT).default(10),
    /** Unset: holding registers, then input registers if the device refuses them. */
    kind: z.enum(['holding', 'input']).optional(),
    timeoutMs: z.coerce.number().int().min(20).max(10_000).default(1_000),
    /** What the display shows now (12.34): the cells that carry it are marked. */
    expect: z.coerce.number().finite().optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if ((o.port === undefined) === (o.host === undefined)) ctx.addIssue({ code: 'custom', message: 'give --port <serial path> (RTU) or --host <address> (TCP), not both' });
    if (o.rtuOverTcp && (o.host === undefined || o.tcpPort === undefined)) ctx.addIssue({ code: 'custom', message: '--rtu-over-tcp needs --host and --tcp-port (the device server\'s raw TCP port)' });
    if (o.expect === 0) ctx.addIssue({ code: 'custom', message: '--expect 0 matches every empty register: put a load on the scale and give what the display shows' });
  });

export type ModbusProbeOptions = z.input<typeof modbusProbeOptionsSchema>;

export interface RegisterAddress {
  kind: RegisterKind;
  /** Protocol address, as on the wire. */
  address: number;
  functionCode: 3 | 4;
  /** How the user wrote it, explained: `40001 = holding register, protocol address 0 (FC03)`. */
  explanation?: string;
}

const FUNCTION: Record<RegisterKind, 3 | 4> = { holding: 3, input: 4 };
const FUNCTION_NAME: Record<RegisterKind, string> = { holding: 'FC03 read holding registers', input: 'FC04 read input registers' };

/**
 * Reads `--address`: register notation (4xxxx holding, 3xxxx input, 1-based, also 6 digits: 4xxxxx) or a protocol
 * address (0-based, decimal or 0x hex). A protocol address above 29999 written in decimal would look like register
 * notation: give it in hex (0x9C41).
 */
export function parseRegisterAddress(text: string, kind?: RegisterKind): RegisterAddress {
  const t = text.trim();
  let notation: { kind: RegisterKind; address: number } | undefined;
  let address: number;
  if (/^0x[0-9a-f]{1,4}$/i.test(t)) address = parseInt(t, 16);
  else if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (t.length === 5 && n >= 30_001 && n <= 39_999) notation = { kind: 'input', address: n - 30_001 };
    else if (t.length === 5 && n >= 40_001 && n <= 49_999) notation = { kind: 'holding', address: n - 40_001 };
    else if (t.length === 6 && n >= 300_001 && n <= 365_536) notation = { kind: 'input', address: n - 300_001 };
    else if (t.length === 6 && n >= 400_001 && n <= 465_536) notation = { kind: 'holding', address: n - 400_001 };
    address = notation?.address ?? n;
  } else throw new ProbeError(`--address ${text}: a protocol address (0–65535, or 0x hex) or register notation (40001, 30001)`);
  if (!notation) {
    if (address > 65_535) throw new ProbeError(`--address ${text}: protocol addresses go up to 65535`);
    return { kind: kind ?? 'holding', address, functionCode: FUNCTION[kind ?? 'holding'] };
  }
  if (kind && kind !== notation.kind) throw new ProbeError(`--address ${text} is ${notation.kind === 'input' ? 'an input' : 'a holding'} register (${t[0]}xxxx), but --kind says ${kind}`);
  return {
    ...notation,
    functionCode: FUNCTION[notation.kind],
    explanation: `${t} = ${notation.kind} register, protocol address ${notation.address}, read with ${FUNCTION_NAME[notation.kind]}`,
  };
}

/** Register notation of a protocol address, where it has one: input 0 → 30001, holding 0 → 40001. */
export function registerNumber(kind: RegisterKind, address: number): string {
  if (address > 9_998) return `${kind === 'input' ? 3 : 4}${String(address + 1).padStart(5, '0')}`;
  return String((kind === 'input' ? 30_001 : 40_001) + address);
}

export interface OffsetInterpretations {
  offset: number;
  address: number;
  register: string;
  values: Array<{ type: ValueType; order: WordOrder; value: number; matches: boolean }>;
}

export interface ValueMatch {
  offset: number;
  address: number;
  register: string;
  type: ValueType;
  order: WordOrder;
  value: number;
  /** For integers: the decimals that turn the raw value into the display (1234 → 12.34: 2). */
  decimals?: number;
  /** A preset whose gross or net field is exactly this. */
  preset?: string;
}

export interface ModbusProbeResult {
  link: string;
  unit: number;
  kind: RegisterKind;
  address: number;
  functionCode: 3 | 4;
  explanation?: string;
  /** What the probe had to do to get an answer (a refused count, the other table). */
  notes: string[];
  registers: number[];
  raw: string;
  interpretations: OffsetInterpretations[];
  expect?: number;
  matches?: ValueMatch[];
}

function busTransport(o: z.infer<typeof modbusProbeOptionsSchema>): ModbusTransportConfig {
  if (o.port !== undefined) return { type: 'rtu', path: o.port, baudRate: o.baud, dataBits: o.dataBits, parity: o.parity, stopBits: o.stopBits };
  if (o.rtuOverTcp) return { type: 'rtu-over-tcp', host: o.host!, port: o.tcpPort! };
  return { type: 'tcp', host: o.host!, port: o.tcpPort ?? 502 };
}

function describeLink(t: ModbusTransportConfig): string {
  switch (t.type) {
    case 'rtu':
      return `RTU ${t.path} ${t.baudRate} ${t.dataBits}${t.parity[0]!.toUpperCase()}${t.stopBits}`;
    case 'tcp':
      return `Modbus TCP ${t.host}:${t.port}`;
    case 'rtu-over-tcp':
      return `RTU over TCP ${t.host}:${t.port}`;
  }
}

/** The Modbus exception code behind a bus error, if the device answered with one. */
function exceptionCode(err: unknown): number | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as Error & { modbusCode?: unknown }).modbusCode;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

const EXCEPTIONS: Record<number, string> = { 1: 'illegal function', 2: 'illegal data address', 3: 'illegal data value', 4: 'device failure', 6: 'device busy', 11: 'gateway: no answer from the target' };

/** The one-line explanation of a failed read, in the terms a user can act on. */
function failure(err: unknown, unit: number, link: string): ProbeError {
  const message = err instanceof Error ? err.message : String(err);
  if (/timed out/i.test(message)) return new ProbeError(`no answer from unit ${unit}: wrong unit id, baud rate, parity or wiring? (${link})`);
  if (/ down: |cannot open|not running/i.test(message)) return new ProbeError(message.replace(/^bus probe down: /, ''));
  const code = exceptionCode(err);
  if (code !== undefined) return new ProbeError(`unit ${unit} refused the read: Modbus exception ${code} (${EXCEPTIONS[code] ?? 'unknown'})`);
  return new ProbeError(`unit ${unit}: ${message}`);
}

/** Integer raws that show `expected` with some decimals: 12.34 → 1234 (2), 12340 (3), 123400 (4). */
function integerMatch(value: number, expected: number): number | undefined {
  for (let d = 0; d <= 4; d++) {
    const scaled = Math.abs(expected) * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) > 1e-6) continue;
    // A magnitude with the sign elsewhere (DGT4X, Laumas) matches too.
    if (Math.abs(value) === Math.round(scaled)) return d;
  }
  return undefined;
}

function decimalsOf(x: number): number {
  const s = String(Math.abs(x));
  return s.includes('.') ? s.length - s.indexOf('.') - 1 : 0;
}

function matchOf(type: ValueType, value: number, expected: number): { matches: boolean; decimals?: number } {
  if (!Number.isFinite(value)) return { matches: false };
  if (type === 'float32') return { matches: Math.abs(Math.abs(value) - Math.abs(expected)) <= 0.5 * 10 ** -decimalsOf(expected) };
  const decimals = integerMatch(value, expected);
  return decimals === undefined ? { matches: false } : { matches: true, decimals };
}

/** A preset whose gross or net field lives exactly there, so the user can name it rather than write a map. */
function presetAt(kind: RegisterKind, address: number, type: ValueType, order: WordOrder): string | undefined {
  for (const name of listScalePresets()) {
    const map = loadScalePreset(name);
    for (const f of [map.fields.gross, map.fields.net]) {
      if (f && (f.kind ?? map.kind) === kind && f.register === address && f.type === type && f.wordOrder === order) return name;
    }
  }
  return undefined;
}

/**
 * Reads registers of one unit through the agent's own Modbus bus and lays each offset out under every type and
 * word order, so the user finds where the weight is and how it is coded.
 */
export async function probeModbus(input: ModbusProbeOptions): Promise<ModbusProbeResult> {
  const parsed = modbusProbeOptionsSchema.safeParse(input);
  if (!parsed.success) throw new ProbeError(parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
  const o = parsed.data;
  const where = parseRegisterAddress(o.address, o.kind);
  const transport = busTransport(o);
  const link = describeLink(transport);
  const config: ModbusBusConfigInput = { id: 'probe', transport, timeoutMs: o.timeoutMs };
  const bus = createModbusBus(config);
  let slave: ModbusSlave;
  try {
    slave = bus.slave(o.unit, 'probe');
  } catch (err) {
    throw new ProbeError((err as Error).message.replace(/^bus probe: /, ''));
  }
  const notes: string[] = [];
  /** What narrowing the count found, per table: only the table finally shown is worth a note. */
  const countNotes: Partial<Record<RegisterKind, string>> = {};
  /** The most registers from `address` the device gives: a refused count is narrowed down, not given up. */
  const readMost = async (kind: RegisterKind): Promise<number[]> => {
    const read = (count: number) => slave.run((io) => io.readRegisters(kind, where.address, count));
    try {
      return await read(o.count);
    } catch (err) {
      if (exceptionCode(err) !== 2 || o.count === 1) throw err;
      let good: number[] | undefined;
      let lo = 0;
      let hi = o.count;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        try {
          good = await read(mid);
          lo = mid;
        } catch (inner) {
          if (exceptionCode(inner) !== 2) throw inner;
          hi = mid;
        }
      }
      if (!good) throw err;
      countNotes[kind] = `the device refused ${o.count} ${kind} registers from ${registerNumber(kind, where.address)} (exception 2, illegal data address): it has ${good.length} there`;
      return good;
    }
  };

  /** Neither --kind nor register notation: the table is a guess, and the probe may look in the other one. */
  const guessedKind = o.kind === undefined && where.explanation === undefined;
  const shows = (values: readonly number[]): boolean =>
    o.expect !== undefined && values.some((_, i) => allInterpretations(values.slice(i, i + 2)).some((v) => matchOf(v.type, v.value, o.expect!).matches));

  bus.start();
  let kind = where.kind;
  let registers: number[];
  try {
    try {
      registers = await readMost(kind);
    } catch (err) {
      // A device that keeps its weights in input registers (DGT4X) is still found without --kind.
      const code = exceptionCode(err);
      if (!guessedKind || (code !== 1 && code !== 2)) throw err;
      notes.push(`holding registers refused (exception ${code}, ${EXCEPTIONS[code]}): read the input registers instead (FC04)`);
      kind = 'input';
      registers = await readMost(kind);
    }
    if (guessedKind && kind === 'holding' && o.expect !== undefined && !shows(registers)) {
      // The expected weight is not in the holding registers: the input registers at the same address may have it.
      const input = await readMost('input').catch(() => undefined);
      if (input && shows(input)) {
        notes.push(`no holding register from ${where.address} shows ${o.expect}; the input registers do (FC04)`);
        kind = 'input';
        registers = input;
      }
    }
  } catch (err) {
    throw failure(err, o.unit, link);
  } finally {
    await bus.stop();
  }
  const countNote = countNotes[kind];
  if (countNote) notes.unshift(countNote);
  if (guessedKind && kind === 'holding' && o.expect === undefined) notes.push('read as holding registers (FC03); many indicators keep weights in input registers: --kind input');

  const interpretations: OffsetInterpretations[] = registers.map((_, offset) => ({
    offset,
    address: where.address + offset,
    register: registerNumber(kind, where.address + offset),
    values: allInterpretations(registers.slice(offset, offset + 2)).map((i) => ({ ...i, matches: o.expect !== undefined && matchOf(i.type, i.value, o.expect).matches })),
  }));
  const result: ModbusProbeResult = {
    link,
    unit: o.unit,
    kind,
    address: where.address,
    functionCode: FUNCTION[kind],
    ...(where.explanation && kind === where.kind ? { explanation: where.explanation } : {}),
    notes,
    registers,
    raw: printRegisters({ holding: [], input: [], [kind]: registersAt(where.address, registers) } as RegisterImage, [{ kind, register: where.address, count: registers.length }]),
    interpretations,
  };
  if (o.expect !== undefined) {
    const expected = o.expect;
    result.expect = expected;
    result.matches = interpretations
      .flatMap((row) =>
        row.values
          .filter((v) => v.matches)
          // 16-bit types read the same under ABCD and CDAB (and BADC and DCBA): one of each pair is enough.
          .filter((v) => !((v.type === 'int16' || v.type === 'uint16') && (v.order === 'CDAB' || v.order === 'DCBA')))
          .map((v): ValueMatch => {
            const { decimals } = matchOf(v.type, v.value, expected);
            const preset = presetAt(kind, row.address, v.type, v.order);
            return {
              offset: row.offset,
              address: row.address,
              register: row.register,
              type: v.type,
              order: v.order,
              value: v.value,
              ...(decimals !== undefined ? { decimals } : {}),
              ...(preset ? { preset } : {}),
            };
          }),
      )
      // A known layout first (naming a preset beats writing a map), then 32-bit values: a 16-bit match is often
      // only the low word of one.
      .sort((a, b) => Number(b.preset !== undefined) - Number(a.preset !== undefined) || registerCount(b.type) - registerCount(a.type) || a.offset - b.offset);
  }
  return result;
}

/** A sparse table with `values` from `address` on, as printRegisters reads it. */
function registersAt(address: number, values: readonly number[]): number[] {
  const table: number[] = [];
  values.forEach((v, i) => (table[address + i] = v));
  return table;
}

/** Short enough for a table cell, exact for integers; floats to 7 significant digits as float32 carries. */
function formatValue(type: ValueType, v: number): string {
  if (type !== 'float32') return String(v);
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-4 || a >= 1e9) return v.toExponential(3);
  return String(Number(v.toPrecision(7)));
}

/** The result as the command prints it. */
export function formatModbusProbe(r: ModbusProbeResult): string {
  const lines: string[] = [];
  const last = r.address + r.registers.length - 1;
  const range = (a: string | number, b: string | number): string => (a === b ? String(a) : `${a}–${b}`);
  lines.push(
    `unit ${r.unit} on ${r.link}: ${r.registers.length} ${r.kind} register${r.registers.length > 1 ? 's' : ''} ${range(registerNumber(r.kind, r.address), registerNumber(r.kind, last))} (protocol address ${range(r.address, last)}, FC0${r.functionCode})`,
  );
  if (r.explanation) lines.push(r.explanation);
  for (const n of r.notes) lines.push(`note: ${n}`);
  lines.push('');
  lines.push('register  address    hex      dec');
  r.registers.forEach((v, i) => {
    lines.push(`${registerNumber(r.kind, r.address + i).padStart(8)}  ${String(r.address + i).padStart(7)}  0x${v.toString(16).toUpperCase().padStart(4, '0')}  ${String(v).padStart(6)}`);
  });
  lines.push('');
  lines.push(`Each offset read as every type × order (A = most significant byte; 32-bit types take this register and the next)${r.expect !== undefined ? `; * = shows ${r.expect}` : ''}:`);
  const width = 14;
  for (const row of r.interpretations) {
    const span = row.values.some((v) => v.type === 'int32') ? `${row.register}–${registerNumber(r.kind, row.address + 1)}` : row.register;
    lines.push('');
    lines.push(`${`offset ${row.offset} (${span})`.padEnd(24)}${wordOrders.map((o) => o.padStart(width)).join('')}`);
    for (const type of valueTypes) {
      const cells = wordOrders.map((order) => {
        const cell = row.values.find((v) => v.type === type && v.order === order);
        if (!cell) return '— '.padStart(width);
        return `${formatValue(type, cell.value)}${cell.matches ? '*' : ' '}`.padStart(width);
      });
      lines.push(`  ${type.padEnd(22)}${cells.join('')}`);
    }
  }
  if (r.expect !== undefined) {
    lines.push('');
    if (!r.matches?.length) {
      lines.push(`${r.expect} is in none of these: try other registers (--address, --count), the other table (--kind), or check that the display shows ${r.expect} now.`);
    } else {
      lines.push(`${r.expect} found:`);
      for (const m of r.matches.slice(0, SHOWN_MATCHES)) {
        const field = `{ kind: ${r.kind}, register: ${m.address}, type: ${m.type}, wordOrder: ${m.order} }`;
        lines.push(`  ${m.register} (offset ${m.offset}): ${m.type} ${m.order} = ${formatValue(m.type, m.value)}${m.decimals !== undefined ? ` → decimals: ${m.decimals}` : ''}`);
        lines.push(`      map field: ${field}${m.preset ? `   (the layout of preset ${m.preset})` : ''}`);
      }
      if (r.matches.length > SHOWN_MATCHES) lines.push(`  … and ${r.matches.length - SHOWN_MATCHES} more (marked * above)`);
      lines.push('  A map also needs a stable (or moving) flag: see edge-agent/drivers/modbus-scale/README.md.');
    }
  }
  return `${lines.join('\n')}\n`;
}
