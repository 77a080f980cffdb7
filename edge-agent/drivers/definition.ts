import { z } from 'zod';
import { deviceCommon, type DeviceKind } from '../device-common.js';
import type { ModbusBus } from '../modbus/bus.js';
import { transportSchema } from '../transport/config.js';
import type { ByteTransport } from '../transport/transport.js';
import type { CounterDriver } from './counter.js';
import type { ScaleDriver } from './scale.js';

/**
 * What a driver is to the rest of the agent, as its folder's `index.ts` declares it (like a Telegraf plugin or a
 * zigbee-herdsman-converters definition): the device entry it reads, how it is built, how the probe tries it.
 * `drivers/index.ts` lists them; the config schema, the driver factories and the probe's candidates derive from it.
 */

/** The running driver a device of each kind gets. */
export interface DriverOfKind {
  scale: ScaleDriver;
  counter: CounterDriver;
}

/** One way `trebuchet probe sniff` tries a serial driver. */
export interface ProbeTry<K extends DeviceKind, Options extends object = object> {
  /** How the probe's output names it. */
  label: string;
  /** passive: fed the capture; active: run on the live port, asking the device (nothing that changes it is sent). */
  mode: 'passive' | 'active';
  /**
   * Builds the driver on `transport`. `options` gets the printable copy of every good frame the driver read,
   * and gives the driver's options block of the device config the probe prints.
   */
  open(transport: ByteTransport): { driver: DriverOfKind[K]; options(frames: readonly string[]): Options };
}

interface DefinitionBase<K extends DeviceKind, N extends string> {
  /** The device entry's `driver:`, and the name of the driver's folder. */
  name: N;
  kind: K;
  /** The schema of the driver's own block in a device entry (beside its `transport`, or its `modbus:` block). */
  options: z.ZodType;
  /** The whole device entry: the keys common to its kind, `driver`, its connection and its block. */
  deviceSchema: z.ZodType;
  /**
   * The driver of a device entry, on its transport or its Modbus bus. The registry hands a definition only the
   * entries of its own name, which its `deviceSchema` parsed: the helpers below cast them back to that type.
   */
  create(device: { id: string; type: K; driver: string }, buses: ReadonlyMap<string, ModbusBus>): DriverOfKind[K];
}

/** Reads a serial port or a serial device server: a `transport:` block and the driver's options beside it. */
export interface SerialDriverDefinition<K extends DeviceKind, N extends string = string> extends DefinitionBase<K, N> {
  connection: 'serial';
  /** The key of the driver's options in a device entry. */
  optionsKey: string;
  /** How the probe tries it, in this order; none if the probe cannot tell it from the bytes. */
  probe: readonly ProbeTry<K>[];
}

/** Reads a unit on a Modbus bus: a `modbus:` block naming a bus of `modbus.buses`, a unit id and the options. */
export interface ModbusDriverDefinition<K extends DeviceKind, N extends string = string> extends DefinitionBase<K, N> {
  connection: 'modbus';
}

export type DriverDefinition = SerialDriverDefinition<'scale'> | SerialDriverDefinition<'counter'> | ModbusDriverDefinition<'scale'> | ModbusDriverDefinition<'counter'>;

type EntryShape<K extends DeviceKind, N extends string, Connection> = (typeof deviceCommon)[K] & { driver: z.ZodLiteral<N> } & Connection;
type SerialShape<K extends DeviceKind, N extends string, O extends string, S extends z.ZodType> = EntryShape<
  K,
  N,
  { transport: typeof transportSchema } & { [P in O]: z.ZodPrefault<S> }
>;
type ModbusShape<K extends DeviceKind, N extends string, S extends z.ZodType> = EntryShape<K, N, { modbus: S }>;
/** What `z.object(shape).strict()` is. */
type EntrySchema<Shape extends z.core.$ZodLooseShape> = z.ZodObject<z.core.util.Writeable<Shape>, z.core.$strict>;
type Entry<Shape extends z.core.$ZodLooseShape> = z.output<EntrySchema<Shape>>;

/**
 * The device entry: the kind's common keys, `driver` and the connection's keys. TypeScript follows neither a spread
 * of the generic kind's keys nor a computed key, so the shape is cast to what it is.
 */
function entrySchema<Shape extends z.core.$ZodLooseShape>(kind: DeviceKind, name: string, connection: z.core.$ZodLooseShape): EntrySchema<Shape> {
  return z.object({ ...deviceCommon[kind], driver: z.literal(name), ...connection } as unknown as Shape).strict();
}

/** A serial driver. Its options block may be left out of a device entry: every option has a default. */
export function serialDriver<const N extends string, K extends DeviceKind, const O extends string, S extends z.ZodType<unknown, object>>(definition: {
  name: N;
  kind: K;
  optionsKey: O;
  options: S;
  create(device: Entry<SerialShape<K, N, O, S>>): DriverOfKind[K];
  probe?: NoInfer<readonly ProbeTry<K, z.input<S>>[]>;
}): SerialDriverDefinition<K, N> & { optionsKey: O; deviceSchema: EntrySchema<SerialShape<K, N, O, S>> } {
  const { name, kind, optionsKey, options, create, probe = [] } = definition;
  return {
    name,
    kind,
    connection: 'serial',
    optionsKey,
    options,
    deviceSchema: entrySchema(kind, name, { transport: transportSchema, [optionsKey]: (options as z.ZodType).prefault({}) }),
    create: (device) => create(device as Entry<SerialShape<K, N, O, S>>),
    probe,
  };
}

/** A Modbus driver: its `modbus:` block is required (a bus and a unit id at least). */
export function modbusDriver<const N extends string, K extends DeviceKind, S extends z.ZodType>(definition: {
  name: N;
  kind: K;
  options: S;
  create(device: Entry<ModbusShape<K, N, S>>, buses: ReadonlyMap<string, ModbusBus>): DriverOfKind[K];
}): ModbusDriverDefinition<K, N> & { deviceSchema: EntrySchema<ModbusShape<K, N, S>> } {
  const { name, kind, options, create } = definition;
  return {
    name,
    kind,
    connection: 'modbus',
    options,
    deviceSchema: entrySchema(kind, name, { modbus: options }),
    create: (device, buses) => create(device as Entry<ModbusShape<K, N, S>>, buses),
  };
}

/** The definitions' device entry schemas, as the tuple `z.discriminatedUnion` takes (`map` would lose its length). */
export function deviceSchemas<const T extends readonly [{ deviceSchema: z.ZodObject }, ...{ deviceSchema: z.ZodObject }[]]>(
  definitions: T,
): { -readonly [I in keyof T]: T[I]['deviceSchema'] } {
  return definitions.map((d) => d.deviceSchema) as { -readonly [I in keyof T]: T[I]['deviceSchema'] };
}

/** The one value `pick` finds in the frames, if they all agree (a layout worth naming in the printed config). */
export function soleValue<T>(frames: readonly string[], pick: (raw: string) => T | undefined): T | undefined {
  const values = new Set<T>();
  for (const raw of frames) {
    const v = pick(raw);
    if (v !== undefined) values.add(v);
  }
  return values.size === 1 ? values.values().next().value : undefined;
}
