import type { ScaleDeviceConfig } from '../config.js';
import { createTransport } from '../transport/index.js';
import type { ScaleDriver } from './scale.js';
import { StGsDriver } from './stgs/driver.js';

/** The driver a device config names, on the transport it names. */
export function createScaleDriver(config: ScaleDeviceConfig): ScaleDriver {
  switch (config.driver) {
    case 'stgs':
      return new StGsDriver(createTransport(config.transport), config.stgs);
  }
}
