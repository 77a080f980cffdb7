import { modbusDriver } from '../definition.js';
import { modbusScaleConfigSchema } from './config.js';
import { createModbusScaleDriver } from './driver.js';

export const modbusScaleDriver = modbusDriver({
  name: 'modbus-scale',
  kind: 'scale',
  options: modbusScaleConfigSchema,
  create: (device, buses) => createModbusScaleDriver(device.modbus, buses, device.id),
});
