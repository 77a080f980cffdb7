import { resolveScaleMap } from '../../edge-agent/drivers/modbus-scale/config.js';
import { scaleMapSchema, scaleMapSpans, type ScaleMap, type ScaleMapInput } from '../../edge-agent/drivers/modbus-scale/presets.js';
import { encodeValue, type RegisterField, type RegisterFlag, type RegisterFlags, type RegisterKind } from '../../edge-agent/modbus/register-map.js';
import { ScaleModel, type LoadableScale, type ScaleModelOptions } from '../common/scale-model.js';
import { ModbusException, readTable, type ModbusUnit } from './servers.js';

export interface SimulatedModbusIndicatorOptions extends ScaleModelOptions {
  /** The preset whose register layout this indicator has (its twin), or an inline map. */
  preset?: string;
  map?: ScaleMapInput;
}

type Tables = Record<RegisterKind, number[]>;

/**
 * A weighing indicator speaking Modbus: the shared scale physics (ScaleModel) laid out in registers by a
 * scale map, the exact inverse of the driver's decoding, so each preset has a twin. Zero and tare commands
 * act on a change of the command register, as the DGT4X does; handshake commands raise the handshake flag
 * until the host writes the rearm value.
 */
export class SimulatedModbusIndicator implements ModbusUnit, LoadableScale {
  readonly model: ScaleModel;
  readonly map: ScaleMap;
  /** Commands obeyed, in order (tests check that a repeated tare is not lost). */
  readonly commands: Array<'zero' | 'tare'> = [];
  private readonly written = new Map<number, number>();
  private handshake = false;
  /** The fault of the map's `errors` this indicator reports now (a load cell unplugged…), by its reason. */
  private fault: string | undefined;

  constructor(options: SimulatedModbusIndicatorOptions) {
    const { preset, map, ...model } = options;
    this.map = map ? scaleMapSchema.parse(map) : resolveScaleMap({ preset });
    this.model = new ScaleModel(model);
  }

  load(kg: number): void {
    this.model.load(kg);
  }

  unload(): void {
    this.model.unload();
  }

  /** Reports one of the map's faults (by its reason), or none. */
  setFault(reason: string | undefined): void {
    if (reason !== undefined && !this.map.errors.some((e) => e.reason === reason)) throw new Error(`no fault "${reason}" in this map`);
    this.fault = reason;
  }

  read(kind: RegisterKind, address: number, count: number): number[] {
    const tables = this.registers();
    const values = readTable(tables[kind], kind, address, count);
    this.model.reported(this.model.display());
    return values;
  }

  write(address: number, value: number): void {
    const entry = Object.entries(this.map.commands).filter(([, c]) => c?.register === address);
    if (entry.length === 0) throw new ModbusException(2, `holding register ${address} is not writable`);
    const previous = this.written.get(address);
    this.written.set(address, value);
    for (const [name, command] of entry) {
      if (!command) continue;
      if (command.handshake && value === (command.rearm ?? 0)) this.handshake = false;
      // Acting on a change only: writing the same command twice without the rearm value in between does nothing.
      if (value !== command.value || previous === value) continue;
      if (name === 'zero') this.model.zero();
      else this.model.tare();
      this.commands.push(name as 'zero' | 'tare');
      if (command.handshake) this.handshake = true;
    }
  }

  /** Every register of the map, from what the display shows now. */
  registers(): Tables {
    const map = this.map;
    const tables: Tables = { holding: [], input: [] };
    // Every register the map names exists (zero unless set below); command registers read back their last value.
    for (const span of scaleMapSpans(map)) for (let i = 0; i < span.count; i++) tables[span.kind][span.register + i] ??= 0;
    for (const c of Object.values(map.commands)) if (c) tables.holding[c.register] = this.written.get(c.register) ?? 0;

    const d = this.model.display();
    const setFlag = (flags: RegisterFlags | undefined, on: boolean): void => {
      const first = Array.isArray(flags) ? flags[0] : flags;
      if (first) writeFlag(tables[first.kind ?? map.kind], first, on);
    };
    const decimals = typeof map.decimals === 'number' ? map.decimals : d.decimals;
    if (typeof map.decimals === 'object') writeBits(tables[map.decimals.kind ?? map.kind], map.decimals, d.decimals);
    if (typeof map.unit === 'object') writeBits(tables[map.unit.kind ?? map.kind], map.unit, Math.max(0, map.unit.values.indexOf(d.unit)));
    else if (map.unit !== d.unit) throw new Error(`the map shows ${map.unit}, the model ${d.unit}`);

    const over = d.status === 'overload';
    const under = d.status === 'underload';
    setFlag(map.flags.overload, over);
    setFlag(map.flags.underload, under);
    setFlag(map.flags.stable, d.status === 'stable');
    setFlag(map.flags.moving, d.status === 'unstable');
    setFlag(map.flags.net, d.net);
    setFlag(map.flags.tare, d.net);
    setFlag(map.flags.handshake, this.handshake);
    for (const c of Object.values(map.commands)) if (c?.handshake) setFlag(c.handshake, this.handshake);
    for (const e of map.errors) if (e.reason === this.fault) writeFlag(tables[e.kind ?? map.kind], e, true);
    if (over || under || d.value === undefined) return tables; // out of range: the weights stay 0

    const net = d.value;
    const gross = d.net ? net + d.tare : net;
    const put = (field: RegisterField | undefined, value: number): void => {
      if (field) writeField(tables[field.kind ?? map.kind], field, value, decimals);
    };
    put(map.fields.gross, gross);
    put(map.fields.net, net);
    put(map.fields.tare, d.tare);
    return tables;
  }
}

function writeBits(table: number[], bits: { register: number; bit: number; width: number }, value: number): void {
  const mask = (2 ** bits.width - 1) << bits.bit;
  table[bits.register] = ((table[bits.register] ?? 0) & ~mask & 0xffff) | ((value << bits.bit) & mask);
}

function writeFlag(table: number[], flag: Omit<RegisterFlag, 'kind'>, on: boolean): void {
  const activeValue = flag.equals ?? (flag.activeLow ? 0 : 1);
  if (on) writeBits(table, flag, activeValue);
  else if (flag.width === 1) writeBits(table, flag, activeValue ^ 1);
  // An inactive multi-bit flag leaves the bits to the others sharing them (HBM under/over: 0 is neither).
}

/** The inverse of decodeField: `value` (display units) as the field's registers, sign bit included. */
function writeField(table: number[], field: RegisterField, value: number, decimals: number): void {
  let raw = value - field.offset;
  if (field.type !== 'float32') {
    raw = field.scale !== undefined ? raw / field.scale : raw * 10 ** (field.decimals ?? decimals);
    raw = Math.round(raw);
  }
  if (field.sign) {
    writeFlag(table, field.sign, raw < 0);
    raw = Math.abs(raw);
  }
  // A device that cannot show a negative value on an unsigned field shows 0.
  if (field.type.startsWith('uint')) raw = Math.max(0, raw);
  encodeValue(raw, field.type, field.wordOrder).forEach((w, i) => (table[field.register + i] = w));
}
