import { modbusDriver } from '../definition.js';
import { modbusCounterConfigSchema } from './config.js';
import { createModbusCounterDriver } from './driver.js';

export const modbusCounterDriver = modbusDriver({
  name: 'modbus-counter',
  kind: 'counter',
  options: modbusCounterConfigSchema,
  create: (device, buses) => createModbusCounterDriver(device.modbus, buses, device.id),
});
