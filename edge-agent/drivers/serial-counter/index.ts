import { serialDriver, type ProbeTry } from '../definition.js';
import { serialCounterConfigSchema, type SerialCounterConfigInput } from './config.js';
import { createSerialCounterDriver, SerialCounterDriver } from './driver.js';

/**
 * Counter layouts worth trying: the frame length and the CRC are all the bytes can tell. Byte order and which
 * counter comes first give a valid CRC either way, so they stay at the defaults and the output says to check them.
 */
const layouts: ProbeTry<'counter', SerialCounterConfigInput>[] = [];
for (const counterBytes of [4, 2] as const)
  for (const etx of [0x03, null])
    for (const crc of ['crc8', 'dallas-maxim'] as const)
      for (const crcOver of ['counters', 'stx-and-counters'] as const)
        layouts.push({
          label: `binary people counter (${counterBytes * 8}-bit counters, ${crc}${crcOver === 'counters' ? '' : ' incl. STX'}${etx === null ? ', no ETX' : ''})`,
          mode: 'passive',
          open(transport) {
            const driver = new SerialCounterDriver(transport, { counterBytes, etx, crc, crcOver });
            const { stx, byteOrder, fieldOrder } = driver.config;
            return { driver, options: () => ({ stx, etx, counterBytes, byteOrder, fieldOrder, crc, crcOver }) };
          },
        });

export const serialCounterDriver = serialDriver({
  name: 'serial-counter',
  kind: 'counter',
  optionsKey: 'serialCounter',
  options: serialCounterConfigSchema,
  create: createSerialCounterDriver,
  probe: layouts,
});
