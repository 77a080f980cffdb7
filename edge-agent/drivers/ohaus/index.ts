import { serialDriver } from '../definition.js';
import { ohausConfigSchema } from './config.js';
import { createOhausDriver, OhausDriver } from './driver.js';

export const ohausDriver = serialDriver({
  name: 'ohaus',
  kind: 'scale',
  optionsKey: 'ohaus',
  options: ohausConfigSchema,
  create: createOhausDriver,
  probe: [
    { label: 'Ohaus (printing by itself)', mode: 'passive', open: (transport) => ({ driver: new OhausDriver(transport, { pollMs: 0 }), options: () => ({ pollMs: 0 }) }) },
    {
      label: 'Ohaus (IP)',
      mode: 'active',
      open: (transport) => ({ driver: new OhausDriver(transport, { pollMs: 200, replyTimeoutMs: 500 }), options: () => ({ pollMs: 200 }) }),
    },
  ],
});
