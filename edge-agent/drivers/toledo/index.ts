import { serialDriver } from '../definition.js';
import { toledoConfigSchema } from './config.js';
import { createToledoDriver, ToledoDriver } from './driver.js';

export const toledoDriver = serialDriver({
  name: 'toledo',
  kind: 'scale',
  optionsKey: 'toledo',
  options: toledoConfigSchema,
  create: createToledoDriver,
  probe: [
    {
      label: 'Toledo Continuous',
      mode: 'passive',
      open(transport) {
        const driver = new ToledoDriver(transport, { checksum: 'auto' });
        // What `auto` found is the safest setting to keep (the driver's README: set it when known).
        return { driver, options: () => ({ checksum: driver.checksumMode ?? 'auto' }) };
      },
    },
  ],
});
