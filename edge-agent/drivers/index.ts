import type { z } from 'zod';
import type { ModbusBus } from '../modbus/bus.js';
import type { CounterDriver } from './counter.js';
import type { DriverDefinition } from './definition.js';
import { lineDriver } from './line/index.js';
import { modbusCounterDriver } from './modbus-counter/index.js';
import { modbusScaleDriver } from './modbus-scale/index.js';
import { ohausDriver } from './ohaus/index.js';
import { mtSicsDriver } from './mt-sics/index.js';
import { nciDriver } from './nci/index.js';
import { radwagDriver } from './radwag/index.js';
import { sartoriusDriver } from './sartorius/index.js';
import type { ScaleDriver } from './scale.js';
import { serialCounterDriver } from './serial-counter/index.js';
import { smaDriver } from './sma/index.js';
import { stgsDriver } from './stgs/index.js';
import { toledoDriver } from './toledo/index.js';

/**
 * Every driver the agent knows: the device config schema, the factories below, probe sniff's candidates (and,
 * in tests, the simulator twins and the sample configs) all derive from this list. Order matters to the probe
 * only: it tries the drivers in this order and a tie goes to the first, so the strictest come first (the
 * Sartorius driver takes any line ending in a weight and a unit: MT-SICS `S S      12.34 kg` reads as SBI).
 */
export const drivers = [
  stgsDriver,
  toledoDriver,
  mtSicsDriver,
  // Before Sartorius: a Radwag line ends like an SBI frame, and the probe must name it Radwag.
  radwagDriver,
  sartoriusDriver,
  // After Sartorius: it takes any line ending in a number and a unit.
  ohausDriver,
  smaDriver,
  nciDriver,
  // Last of the scales: it reads what its config's pattern says, for a scale no driver above knows.
  lineDriver,
  serialCounterDriver,
  modbusScaleDriver,
  modbusCounterDriver,
] as const satisfies readonly DriverDefinition[];

type Definitions = (typeof drivers)[number];
export type SerialDriverName = Extract<Definitions, { connection: 'serial' }>['name'];
export type DeviceConfig = z.output<Definitions['deviceSchema']>;
export type ScaleDeviceConfig = Extract<DeviceConfig, { type: 'scale' }>;
export type CounterDeviceConfig = Extract<DeviceConfig, { type: 'counter' }>;

/** The definitions of one kind, by name: a parsed config's `driver` is always one of them. */
function definitionsOf<K extends DriverDefinition['kind']>(kind: K): ReadonlyMap<string, Extract<DriverDefinition, { kind: K }>> {
  const definitions: readonly DriverDefinition[] = drivers;
  return new Map(definitions.filter((d): d is Extract<DriverDefinition, { kind: K }> => d.kind === kind).map((d) => [d.name, d]));
}

const scaleDrivers = definitionsOf('scale');
const counterDrivers = definitionsOf('counter');

/** The driver a scale's config names, on its transport or its Modbus bus. */
export function createScaleDriver(config: ScaleDeviceConfig, buses: ReadonlyMap<string, ModbusBus>): ScaleDriver {
  return scaleDrivers.get(config.driver)!.create(config, buses);
}

/** The driver a door counter's config names. */
export function createCounterDriver(config: CounterDeviceConfig, buses: ReadonlyMap<string, ModbusBus>): CounterDriver {
  return counterDrivers.get(config.driver)!.create(config, buses);
}
