import { serialDriver } from '../definition.js';
import { smaConfigSchema } from './config.js';
import { createSmaDriver, SmaDriver } from './driver.js';

export const smaDriver = serialDriver({
  name: 'sma',
  kind: 'scale',
  optionsKey: 'sma',
  options: smaConfigSchema,
  create: createSmaDriver,
  probe: [
    {
      label: 'SMA SCP-0499',
      mode: 'active',
      open: (transport) => ({ driver: new SmaDriver(transport, { pollMs: 200, replyTimeoutMs: 500 }), options: () => ({ pollMs: 200 }) }),
    },
  ],
});
