import { serialDriver } from '../definition.js';
import { mtSicsConfigSchema } from './config.js';
import { createMtSicsDriver, MtSicsDriver } from './driver.js';

export const mtSicsDriver = serialDriver({
  name: 'mt-sics',
  kind: 'scale',
  optionsKey: 'mtSics',
  options: mtSicsConfigSchema,
  create: createMtSicsDriver,
  probe: [
    {
      label: 'MT-SICS, continuous output (SIR)',
      mode: 'passive',
      // No reset: a probe must not change the balance's state. Whatever it writes goes to the replay, not the port.
      open: (transport) => ({ driver: new MtSicsDriver(transport, { mode: 'stream', resetOnConnect: false }), options: () => ({ mode: 'stream' }) }),
    },
    {
      label: 'Mettler Toledo MT-SICS',
      mode: 'active',
      // SI polled, no `@` reset on connect: asking the weight is harmless, a reset may clear the tare.
      open: (transport) => ({
        driver: new MtSicsDriver(transport, { mode: 'poll', pollMs: 200, replyTimeoutMs: 500, resetOnConnect: false }),
        options: () => ({ mode: 'poll', pollMs: 200 }),
      }),
    },
  ],
});
