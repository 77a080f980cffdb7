import { serialDriver } from '../definition.js';
import { radwagConfigSchema } from './config.js';
import { createRadwagDriver, RadwagDriver } from './driver.js';

export const radwagDriver = serialDriver({
  name: 'radwag',
  kind: 'scale',
  optionsKey: 'radwag',
  options: radwagConfigSchema,
  create: createRadwagDriver,
  probe: [
    { label: 'Radwag (stream)', mode: 'passive', open: (transport) => ({ driver: new RadwagDriver(transport), options: () => ({}) }) },
    {
      label: 'Radwag (SI)',
      mode: 'active',
      open: (transport) => ({ driver: new RadwagDriver(transport, { pollMs: 200, replyTimeoutMs: 500 }), options: () => ({ pollMs: 200 }) }),
    },
  ],
});
