import { describe, expect, it } from 'vitest';
import { serialCounterConfigSchema, type SerialCounterConfigInput } from '../../edge-agent/drivers/serial-counter/config.js';
import { parseSerialCounterFrame, SerialCounterFramer } from '../../edge-agent/drivers/serial-counter/parser.js';
import { seededRandom } from '../common/sim-device.js';
import { encodeSerialCounterFrame } from './serial-counter-frames.js';

const LAYOUTS: Array<[string, SerialCounterConfigInput]> = [
  ['default', {}],
  ['Dallas/Maxim CRC', { crc: 'dallas-maxim' }],
  ['decimal', { modulo: 1_000_000 }],
  ['uint16 little-endian out-in, no ETX, CRC over STX', { counterBytes: 2, byteOrder: 'little', fieldOrder: 'out-in', etx: null, crcOver: 'stx-and-counters' }],
  ['odd start and end bytes, CRC with init and xorOut', { stx: 0xaa, etx: 0x55, crc: { poly: 0x9b, init: 0xff, xorOut: 0x0f } }],
];

describe('encodeSerialCounterFrame', () => {
  it.each(LAYOUTS)('round-trips through the parser: %s', (_name, input) => {
    const layout = serialCounterConfigSchema.parse(input);
    const modulo = layout.modulo ?? 2 ** (8 * layout.counterBytes);
    const random = seededRandom(42);
    const samples = [
      { in: 0, out: 0 },
      { in: modulo - 1, out: modulo - 1 },
      ...Array.from({ length: 500 }, () => ({ in: Math.floor(random() * modulo), out: Math.floor(random() * modulo) })),
    ];
    const framer = new SerialCounterFramer(layout);
    for (const counts of samples) {
      const frame = encodeSerialCounterFrame(counts, layout);
      expect(parseSerialCounterFrame(frame, layout)).toEqual({ ok: true, ...counts });
    }
    // And as one stream, whatever bytes equal to STX or ETX the counts and CRCs contain.
    const out = framer.push(Buffer.concat(samples.map((c) => encodeSerialCounterFrame(c, layout))));
    expect(out.map((o) => (o.kind === 'counts' ? { in: o.in, out: o.out } : o))).toEqual(samples);
  });

  it('matches the golden default frame', () => {
    expect(encodeSerialCounterFrame({ in: 1234, out: 1200 }, serialCounterConfigSchema.parse({})).toString('hex')).toBe('02000004d2000004b04003');
  });

  it('refuses counts the layout cannot carry', () => {
    const decimal = serialCounterConfigSchema.parse({ modulo: 1_000_000 });
    expect(() => encodeSerialCounterFrame({ in: 1_000_000, out: 0 }, decimal)).toThrow(RangeError);
    expect(() => encodeSerialCounterFrame({ in: 0, out: -1 }, decimal)).toThrow(RangeError);
    expect(() => encodeSerialCounterFrame({ in: 65_536, out: 0 }, serialCounterConfigSchema.parse({ counterBytes: 2 }))).toThrow(RangeError);
  });
});
