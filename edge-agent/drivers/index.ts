import type { CounterDeviceConfig, ScaleDeviceConfig } from '../config.js';
import type { ModbusBus } from '../modbus/bus.js';
import type { CounterDriver } from './counter.js';
import { createModbusCounterDriver } from './modbus-counter/driver.js';
import { createModbusScaleDriver } from './modbus-scale/driver.js';
import { createMtSicsDriver } from './mt-sics/driver.js';
import { createSartoriusDriver } from './sartorius/driver.js';
import type { ScaleDriver } from './scale.js';
import { createSerialCounterDriver } from './serial-counter/driver.js';
import { createSmaDriver } from './sma/driver.js';
import { createStGsDriver } from './stgs/driver.js';
import { createToledoDriver } from './toledo/driver.js';

/** The driver a scale's config names, on its transport or its Modbus bus. */
export function createScaleDriver(config: ScaleDeviceConfig, buses: ReadonlyMap<string, ModbusBus>): ScaleDriver {
  switch (config.driver) {
    case 'stgs':
      return createStGsDriver(config);
    case 'mt-sics':
      return createMtSicsDriver(config);
    case 'toledo':
      return createToledoDriver(config);
    case 'sartorius':
      return createSartoriusDriver(config);
    case 'sma':
      return createSmaDriver(config);
    case 'modbus-scale':
      return createModbusScaleDriver(config.modbus, buses, config.id);
  }
}

/** The driver a door counter's config names. */
export function createCounterDriver(config: CounterDeviceConfig, buses: ReadonlyMap<string, ModbusBus>): CounterDriver {
  switch (config.driver) {
    case 'serial-counter':
      return createSerialCounterDriver(config);
    case 'modbus-counter':
      return createModbusCounterDriver(config.modbus, buses, config.id);
  }
}
