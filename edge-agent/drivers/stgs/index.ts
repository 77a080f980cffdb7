import { serialDriver, soleValue } from '../definition.js';
import { stgsConfigSchema } from './config.js';
import { createStGsDriver, StGsDriver } from './driver.js';
import { parseStgsFrame } from './parser.js';

export const stgsDriver = serialDriver({
  name: 'stgs',
  kind: 'scale',
  optionsKey: 'stgs',
  options: stgsConfigSchema,
  create: createStGsDriver,
  probe: [
    {
      label: 'ST,GS family (A&D, CAS, Dini Argeo…)',
      mode: 'passive',
      open: (transport) => ({
        driver: new StGsDriver(transport, { format: 'auto' }),
        // The real parser tells which layout each frame had; a single one seen is worth naming in the config.
        options: (frames) => ({
          format:
            soleValue(frames, (raw) => {
              const r = parseStgsFrame(raw);
              return r.ok ? r.format : undefined;
            }) ?? 'auto',
        }),
      }),
    },
  ],
});
