import { serialDriver } from '../definition.js';
import { lineConfigSchema } from './config.js';
import { createLineDriver } from './driver.js';

export const lineDriver = serialDriver({
  name: 'line',
  kind: 'scale',
  optionsKey: 'line',
  options: lineConfigSchema,
  create: createLineDriver,
  // The probe cannot try a pattern it does not have.
  probe: [],
});
