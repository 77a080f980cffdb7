import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { roundTo, toKg, type MassUnit } from '../../../protocol/units.js';
import type { ModbusBus, ModbusIo, ModbusSlave } from '../../modbus/bus.js';
import { SlavePoller, slaveOf } from '../../modbus/modbus-bus.js';
import {
  decodeField,
  planReads,
  readBits,
  readFlag,
  printRegisters,
  readImage,
  type RegisterField,
  type RegisterFlags,
  type RegisterImage,
  type RegisterKind,
  type RegisterSpan,
} from '../../modbus/register-map.js';
import type { ScaleDriver, ScaleDriverEvents, ScaleReading } from '../scale.js';
import { modbusScaleOptionsSchema, resolveScaleMap, type ModbusScaleConfig, type ModbusScaleOptions, type ModbusScaleOptionsInput } from './config.js';
import { scaleMapSpans, type ScaleCommand, type ScaleMap } from './presets.js';

/** How long a handshake command may take to be acknowledged. */
const HANDSHAKE_TIMEOUT_MS = 2_000;
const HANDSHAKE_POLL_MS = 50;

/**
 * A weighing indicator on a Modbus bus: reads its register map every pollMs (the two halves of a 32-bit value
 * in one request), and turns the registers into readings. Communication failures become frameErrors and the
 * link closes until the indicator answers again; the bus backs the slave off meanwhile.
 */
export class ModbusScaleDriver extends EventEmitter<ScaleDriverEvents> implements ScaleDriver {
  readonly map: ScaleMap;
  private readonly options: ModbusScaleOptions;
  private readonly plan: RegisterSpan[];
  private readonly poller: SlavePoller<RegisterImage>;
  /** Errors the slave already reported: a failed command is not reported twice. */
  private readonly reported = new WeakSet<Error>();

  constructor(
    private readonly slave: ModbusSlave,
    options: ModbusScaleOptionsInput,
  ) {
    super();
    this.options = modbusScaleOptionsSchema.parse(options);
    this.map = resolveScaleMap(this.options);
    this.plan = planReads(scaleMapSpans(this.map), this.map.maxRegistersPerRequest);
    this.poller = new SlavePoller(slave, this.options.pollMs, `modbus unit ${slave.unitId} (${this.options.preset ?? this.map.description ?? 'inline map'})`, {
      read: (io) => readImage(io, this.plan),
      deliver: (image) => this.decode(image),
      link: (state, detail) => this.emit('link', state, detail),
      failure: (error) => {
        this.reported.add(error);
        this.emit('frameError', { reason: error.message, raw: '' });
      },
    });
  }

  start(): void {
    this.poller.start();
  }

  async stop(): Promise<void> {
    this.poller.stop();
  }

  /** Zero or tare, where the map knows the command; a failure is reported as a frameError. */
  command(name: 'zero' | 'tare'): void {
    const command = this.map.commands[name];
    if (!command) {
      this.emit('frameError', { reason: `${name}: no such command in ${this.options.preset ?? 'this map'}`, raw: '' });
      return;
    }
    this.send(command).catch((err: Error) => {
      if (!this.reported.has(err)) this.emit('frameError', { reason: `${name} command failed: ${err.message}`, raw: '' });
    });
  }

  private async send(command: ScaleCommand): Promise<void> {
    await this.slave.run(async (io) => {
      if (command.rearm !== undefined) await io.writeRegister(command.register, command.rearm);
      await io.writeRegister(command.register, command.value);
    });
    const handshake = command.handshake;
    if (!handshake) return;
    // Each check is its own turn on the bus: other slaves keep theirs while the device works.
    const deadline = Date.now() + HANDSHAKE_TIMEOUT_MS;
    const acknowledged = (): Promise<boolean> =>
      this.slave.run(async (io) => readFlag(await readOneRegister(io, handshake.kind ?? this.map.kind, handshake.register), handshake));
    while (!(await acknowledged())) {
      if (Date.now() > deadline) throw new Error(`not acknowledged within ${HANDSHAKE_TIMEOUT_MS} ms`);
      await sleep(HANDSHAKE_POLL_MS);
    }
    await this.slave.run((io) => io.writeRegister(command.register, command.rearm ?? 0));
  }

  private decode(image: RegisterImage): void {
    const raw = printRegisters(image, this.plan);
    try {
      this.emit('reading', decodeScale(this.map, image, this.options.decimals), raw);
    } catch (err) {
      this.emit('frameError', { reason: (err as Error).message, raw });
    }
  }
}

/** The driver of one device config, on the bus it names (the agent keeps one ModbusBus per `bus` id). */
export function createModbusScaleDriver(config: ModbusScaleConfig, buses: ReadonlyMap<string, ModbusBus>, name: string): ModbusScaleDriver {
  const { bus, unitId, ...options } = config;
  return new ModbusScaleDriver(slaveOf(buses, { bus, unitId }, name), options);
}

/** The indicator reports a fault: no weight can be read from its registers now. */
export class ScaleFaultError extends Error {
  override readonly name = 'ScaleFaultError';
}

/**
 * What the registers of an indicator say, by its map: its faults first, then out of range (the weight
 * registers then hold filler), the unit, the decimals, net or gross, the stability. `decimalsOverride` is the
 * device config's. Throws a ScaleFaultError while a fault is reported, and an Error on a map that does not fit
 * the registers: both are frameErrors for the driver, never readings.
 */
export function decodeScale(map: ScaleMap, image: RegisterImage, decimalsOverride?: number): ScaleReading {
  const table = (kind: RegisterKind | undefined) => image[kind ?? map.kind];
  const faults = map.errors.filter((e) => readFlag(table(e.kind), e));
  if (faults.length) {
    throw new ScaleFaultError(`l'indicateur signale une panne / the indicator reports a fault: ${faults.map((f) => `${f.reason} (register ${f.register} bit ${f.bit})`).join('; ')}`);
  }
  const active = (flag: RegisterFlags | undefined): boolean | undefined => {
    if (!flag) return undefined;
    return (Array.isArray(flag) ? flag : [flag]).some((f) => readFlag(table(f.kind), f));
  };
  const { flags, fields } = map;
  if (active(flags.overload)) return { kind: 'overload' };
  if (active(flags.underload)) return { kind: 'underload' };

  let unit: MassUnit;
  if (typeof map.unit === 'string') unit = map.unit;
  else {
    const code = readBits(table(map.unit.kind), map.unit);
    const found = map.unit.values[code];
    if (!found) return { kind: 'not-mass', reason: `unit code ${code} is not a mass unit in this map` };
    unit = found;
  }

  const decimals = decimalsOverride ?? (typeof map.decimals === 'number' ? map.decimals : map.decimals === 'config' ? 0 : readBits(table(map.decimals.kind), map.decimals));
  const value = (field: RegisterField): { value: number; decimals: number } => {
    const float = field.type === 'float32';
    // A device-wide decimals count divides integers; a float already has its point, it is only rounded.
    const own = decimalsOverride === undefined && (field.scale !== undefined || field.decimals !== undefined);
    const f = own || float ? field : { ...field, scale: undefined, decimals };
    const v = decodeField(table(field.kind), f, 0);
    if (!Number.isFinite(v)) throw new Error(`${float ? 'float32' : 'value'} at register ${field.register} is not a number (${v})`);
    // A float32 (about 7 significant digits) is rounded to the display's decimals: 23.450001 is 23.45.
    const resolution = float && !own ? decimals : resolutionOf(f);
    return { value: roundTo(v, resolution), decimals: resolution };
  };

  const gross = fields.gross && value(fields.gross);
  const net = fields.net && value(fields.net);
  // A net or tare flag says it; without one, a net that differs from gross means a tare is set.
  const showsNet = active(flags.net) ?? active(flags.tare) ?? (gross !== undefined && net !== undefined && gross.value !== net.value);
  const shown = (showsNet ? (net ?? gross) : (gross ?? net))!;
  const stable = flags.stable ? active(flags.stable)! : !active(flags.moving);
  const kg = toKg(shown.value, unit, shown.decimals);
  const reading: ScaleReading = { kind: 'mass', kg: kg === 0 ? 0 : kg, stable, net: showsNet && net !== undefined }; // no -0 from -0.001
  const tare = fields.tare ? value(fields.tare) : showsNet && gross && net ? { value: gross.value - net.value, decimals: Math.max(gross.decimals, net.decimals) } : undefined;
  if (tare) reading.tareKg = toKg(roundTo(tare.value, tare.decimals), unit, tare.decimals);
  return reading;
}

/** Digits after the point a field's scaling produces (decimals: 2 → 2; scale: 0.05 → 2; scale: 10 → 0). */
function resolutionOf(field: Pick<RegisterField, 'scale' | 'decimals'>): number {
  if (field.scale === undefined) return field.decimals ?? 0;
  const text = String(field.scale);
  const exp = /e-(\d+)$/.exec(text);
  if (exp) return Math.min(9, Number(exp[1]) + (text.split('e')[0]!.split('.')[1]?.length ?? 0));
  return Math.min(9, text.split('.')[1]?.length ?? 0);
}

/** One register read on its own (a handshake check). */
async function readOneRegister(io: ModbusIo, kind: RegisterKind, register: number): Promise<number[]> {
  const table: number[] = [];
  table[register] = (await io.readRegisters(kind, register, 1))[0]!;
  return table;
}
