import { serialDriver, soleValue } from '../definition.js';
import { sartoriusConfigSchema } from './config.js';
import { createSartoriusDriver, SartoriusDriver } from './driver.js';
import { parseSartoriusFrame } from './parser.js';

export const sartoriusDriver = serialDriver({
  name: 'sartorius',
  kind: 'scale',
  optionsKey: 'sartorius',
  options: sartoriusConfigSchema,
  create: createSartoriusDriver,
  probe: [
    {
      label: 'Sartorius SBI',
      mode: 'passive',
      open: (transport) => ({
        driver: new SartoriusDriver(transport, { frameLength: 'auto' }),
        options: (frames) => ({
          frameLength:
            soleValue(frames, (raw) => {
              const r = parseSartoriusFrame(raw);
              return r.ok ? r.length : undefined;
            }) ?? 'auto',
        }),
      }),
    },
  ],
});
