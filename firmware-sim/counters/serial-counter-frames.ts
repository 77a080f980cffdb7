import { counterModulo, type SerialCounterConfig } from '../../edge-agent/drivers/serial-counter/config.js';
import { crc8, crcSpan, frameLength } from '../../edge-agent/drivers/serial-counter/parser.js';

/**
 * Lays out one count frame: the exact inverse of parseSerialCounterFrame
 * (edge-agent/drivers/serial-counter/parser.ts). Throws RangeError for a count the layout cannot carry.
 */
export function encodeSerialCounterFrame(counts: { in: number; out: number }, config: SerialCounterConfig): Buffer {
  const modulo = counterModulo(config);
  for (const [name, value] of Object.entries(counts)) {
    if (!Number.isSafeInteger(value) || value < 0 || value >= modulo) throw new RangeError(`${name} count ${value} is not in [0, ${modulo})`);
  }
  const frame = Buffer.alloc(frameLength(config));
  const [first, second] = config.fieldOrder === 'in-out' ? [counts.in, counts.out] : [counts.out, counts.in];
  const write = (value: number, at: number): void => {
    if (config.counterBytes === 2) config.byteOrder === 'big' ? frame.writeUInt16BE(value, at) : frame.writeUInt16LE(value, at);
    else config.byteOrder === 'big' ? frame.writeUInt32BE(value, at) : frame.writeUInt32LE(value, at);
  };
  frame[0] = config.stx;
  write(first, 1);
  write(second, 1 + config.counterBytes);
  const crcAt = 1 + 2 * config.counterBytes;
  frame[crcAt] = crc8(crcSpan(frame, config), config.crc);
  if (config.etx !== null) frame[crcAt + 1] = config.etx;
  return frame;
}
