import { serialDriver } from '../definition.js';
import { nciConfigSchema } from './config.js';
import { createNciDriver, NciDriver } from './driver.js';

export const nciDriver = serialDriver({
  name: 'nci',
  kind: 'scale',
  optionsKey: 'nci',
  options: nciConfigSchema,
  create: createNciDriver,
  probe: [
    {
      label: 'NCI SCP-12',
      mode: 'active',
      open: (transport) => ({ driver: new NciDriver(transport, { pollMs: 200, replyTimeoutMs: 500 }), options: () => ({ pollMs: 200 }) }),
    },
  ],
});
