import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { FakeTransport } from '../../../tests/helpers/scale-driver.js';
import { visitsConfigSchema } from '../../counters/door-counter.js';
import { transportSchema } from '../../transport/config.js';
import type { CounterReading } from '../counter.js';
import type { FrameError, LinkState } from '../scale.js';
import { CRC8_PRESETS, serialCounterConfigSchema, type SerialCounterConfigInput } from './config.js';
import { SerialCounterDriver } from './driver.js';
import { crc8, parseSerialCounterFrame } from './parser.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');
const layout = (input: SerialCounterConfigInput = {}) => serialCounterConfigSchema.parse(input);

/** [layout, frame in hex, in, out]; CRCs checked against an independent implementation. */
const GOLDEN: Array<[string, SerialCounterConfigInput, string, number, number]> = [
  ['default layout', {}, '02 000004D2 000004B0 40 03', 1234, 1200],
  ['zero counts', {}, '02 00000000 00000000 00 03', 0, 0],
  ['CRC byte equal to STX', {}, '02 00000055 00000007 02 03', 85, 7],
  ['CRC byte equal to ETX', {}, '02 000000D9 00000007 03 03', 217, 7],
  ['count bytes equal to STX and ETX', {}, '02 02020303 03020302 9F 03', 33_686_275, 50_463_490],
  ['Dallas/Maxim CRC', { crc: 'dallas-maxim' }, '02 000004D2 000004B0 08 03', 1234, 1200],
  ['decimal counter at 999999', { modulo: 1_000_000 }, '02 000F423F 00000000 BB 03', 999_999, 0],
  [
    'uint16 little-endian, out first, no ETX, CRC over STX too',
    { counterBytes: 2, byteOrder: 'little', fieldOrder: 'out-in', etx: null, crcOver: 'stx-and-counters' },
    '02 0200 FFFF CC',
    65_535,
    2,
  ],
];

describe('CRC-8', () => {
  it('matches the catalogue check values of "123456789"', () => {
    const check = Buffer.from('123456789');
    expect(crc8(check, CRC8_PRESETS.crc8)).toBe(0xf4); // CRC-8/SMBUS
    expect(crc8(check, CRC8_PRESETS['dallas-maxim'])).toBe(0xa1); // CRC-8/MAXIM-DOW
    expect(crc8(check, { poly: 0x07, init: 0x00, reflected: false, xorOut: 0x55 })).toBe(0xa1); // CRC-8/I-432-1
  });
});

describe('parseSerialCounterFrame: golden frames', () => {
  it.each(GOLDEN)('%s', (_name, input, frame, countIn, countOut) => {
    expect(parseSerialCounterFrame(hex(frame), layout(input))).toEqual({ ok: true, in: countIn, out: countOut });
  });

  it.each<[string, SerialCounterConfigInput, string, RegExp, boolean]>([
    ['a bad CRC', {}, '02 000004D2 000004B0 41 03', /bad CRC: got 0x41, expected 0x40/, false],
    ['a missing ETX', {}, '02 000004D2 000004B0 40 00', /no ETX 0x03/, false],
    ['a wrong length', {}, '02 000004D2 000004B0 40', /expected 11/, false],
    ['a count at the decimal modulo', { modulo: 1_000_000 }, '02 000F4240 00000000 15 03', /in count 1000000 is not below the modulo/, true],
  ])('refuses %s', (_name, input, frame, reason, framed) => {
    const result = parseSerialCounterFrame(hex(frame), layout(input));
    expect(result).toMatchObject({ ok: false, framed });
    expect(!result.ok && result.reason).toMatch(reason);
  });
});

describe('serialCounterConfigSchema', () => {
  it('has the documented defaults', () => {
    expect(layout()).toEqual({
      stx: 0x02,
      etx: 0x03,
      counterBytes: 4,
      byteOrder: 'big',
      fieldOrder: 'in-out',
      crc: { poly: 0x07, init: 0, reflected: false, xorOut: 0 },
      crcOver: 'counters',
    });
  });

  it('takes explicit CRC parameters and refuses a modulo wider than the field', () => {
    expect(layout({ crc: { poly: 0x31, reflected: true } }).crc).toEqual(CRC8_PRESETS['dallas-maxim']);
    const wide = serialCounterConfigSchema.safeParse({ counterBytes: 2, modulo: 1_000_000 });
    expect(wide.success).toBe(false);
    expect(wide.error?.issues[0]?.path).toEqual(['modulo']);
    expect(serialCounterConfigSchema.safeParse({ crc: 'crc16' }).success).toBe(false);
    expect(serialCounterConfigSchema.safeParse({ sync: 0x02 }).success).toBe(false);
  });

  it('accepts the README sample', () => {
    // The README shows sample.yaml as is (samples.test.ts).
    const device = parseYaml(readFileSync(new URL('./sample.yaml', import.meta.url), 'utf8')) as Record<string, unknown>;
    expect(device).toMatchObject({ type: 'counter', driver: 'serial-counter' });
    expect(transportSchema.parse(device.transport)).toMatchObject({ type: 'serial', baudRate: 9600 });
    expect(layout(device.serialCounter as SerialCounterConfigInput)).toMatchObject({ stx: 2, etx: 3, modulo: 1_000_000 });
    expect(visitsConfigSchema.parse(device.visits)).toEqual({ bucketSeconds: 60, wrapWindow: 0.1, maxDeltaPerReading: 1000 });
  });
});

function harness(input: SerialCounterConfigInput = {}) {
  const transport = new FakeTransport();
  const driver = new SerialCounterDriver(transport, input);
  const counts: CounterReading[] = [];
  const errors: FrameError[] = [];
  const links: Array<[LinkState, string | undefined]> = [];
  driver.on('counts', (c) => counts.push(c));
  driver.on('frameError', (e) => errors.push(e));
  driver.on('link', (state, detail) => links.push([state, detail]));
  driver.start();
  return { transport, driver, counts, errors, links };
}

const M32 = 2 ** 32;
const STREAM = hex(GOLDEN.slice(0, 5).map((g) => g[2]).join(''));
const STREAM_COUNTS = GOLDEN.slice(0, 5).map(([, , , i, o]) => ({ in: i, out: o, modulo: M32 }));

describe('SerialCounterDriver', () => {
  it('reads a stream of frames, STX and ETX values inside included', () => {
    const h = harness();
    h.transport.feed(STREAM);
    expect(h.counts).toEqual(STREAM_COUNTS);
    expect(h.errors).toEqual([]);
  });

  it('gives the same counts whatever byte boundary splits the stream', () => {
    for (let i = 1; i < STREAM.length; i++) {
      const h = harness();
      h.transport.feed(STREAM.subarray(0, i));
      h.transport.feed(STREAM.subarray(i));
      expect(h.counts, `split at ${i}`).toEqual(STREAM_COUNTS);
      expect(h.errors, `split at ${i}`).toEqual([]);
    }
    const h = harness();
    for (const b of STREAM) h.transport.feed(Buffer.from([b]));
    expect(h.counts).toEqual(STREAM_COUNTS);
    expect(h.errors).toEqual([]);
  });

  it('reports the modulo of its layout', () => {
    const h16 = harness({ counterBytes: 2, byteOrder: 'little', fieldOrder: 'out-in', etx: null, crcOver: 'stx-and-counters' });
    h16.transport.feed(hex(GOLDEN[7]![2]));
    expect(h16.counts).toEqual([{ in: 65_535, out: 2, modulo: 65_536 }]);
    const hDec = harness({ modulo: 1_000_000 });
    hDec.transport.feed(hex(GOLDEN[6]![2]));
    expect(hDec.counts).toEqual([{ in: 999_999, out: 0, modulo: 1_000_000 }]);
  });

  it('skips garbage before and between frames, one error per run', () => {
    const h = harness();
    h.transport.feed(hex('B0 40 03')); // the tail of a frame cut by the start of the stream
    h.transport.feed(hex(GOLDEN[0]![2]));
    h.transport.feed(hex('00 FF 03 FF 00'));
    h.transport.feed(hex(GOLDEN[2]![2]));
    expect(h.counts.map((c) => [c.in, c.out])).toEqual([
      [1234, 1200],
      [85, 7],
    ]);
    expect(h.errors).toEqual([
      { reason: '3 bytes without a frame start skipped', raw: '<B0>@<03>' },
      { reason: '5 bytes without a frame start skipped', raw: '<00><FF><03><FF><00>' },
    ]);
  });

  it('resyncs on the next STX after a bad CRC', () => {
    const h = harness();
    h.transport.feed(hex('02 000004D2 000004B0 41 03')); // a bit flipped in the CRC
    h.transport.feed(hex(GOLDEN[1]![2]));
    expect(h.counts.map((c) => [c.in, c.out])).toEqual([[0, 0]]);
    expect(h.errors).toHaveLength(1);
    expect(h.errors[0]!.reason).toBe('bad CRC: got 0x41, expected 0x40; 11 bytes skipped to the next frame');
  });

  it('finds a whole frame that starts inside a cut one, and one after a false STX in the garbage', () => {
    const h = harness();
    // STX and 4 count bytes, then the line dropped; the next frame follows at once.
    h.transport.feed(hex(`02 000004D2 ${GOLDEN[2]![2]}`));
    // A garbage byte equal to STX just before a frame whose CRC is STX.
    h.transport.feed(hex(`02 ${GOLDEN[2]![2]}`));
    expect(h.counts.map((c) => [c.in, c.out])).toEqual([
      [85, 7],
      [85, 7],
    ]);
    expect(h.errors.map((e) => e.raw)).toEqual(['<02><00><00><04><D2>', '<02>']);
    expect(h.errors.every((e) => /bytes skipped to the next frame/.test(e.reason))).toBe(true);
  });

  it('reports a well-framed count beyond the modulo without losing the next frame', () => {
    const h = harness({ modulo: 1_000_000 });
    h.transport.feed(hex(`02 000F4240 00000000 15 03 ${GOLDEN[6]![2]}`));
    expect(h.counts).toEqual([{ in: 999_999, out: 0, modulo: 1_000_000 }]);
    expect(h.errors.map((e) => e.reason)).toEqual(['in count 1000000 is not below the modulo 1000000']);
  });

  it('reports a long run of noise in pieces with a clipped copy, and carries on', () => {
    const h = harness();
    for (let i = 0; i < 5; i++) h.transport.feed(Buffer.alloc(50, 0x55));
    expect(h.errors.map((e) => e.reason)).toEqual(['100 bytes without a frame start skipped', '100 bytes without a frame start skipped']);
    expect(h.errors[0]!.raw).toBe(`${'U'.repeat(64)}…`);
    h.transport.feed(hex(GOLDEN[0]![2]));
    expect(h.counts).toHaveLength(1);
    expect(h.errors.at(-1)!.reason).toBe('50 bytes without a frame start skipped');
  });

  it('reports the link and drops half a frame cut by a disconnect', () => {
    const h = harness();
    h.transport.emit('open');
    h.transport.feed(hex('02 000004D2 0000'));
    h.transport.emit('close', 'disconnected: EIO');
    h.transport.emit('open');
    h.transport.feed(hex(`04B0 40 03 ${GOLDEN[1]![2]}`));
    expect(h.counts.map((c) => [c.in, c.out])).toEqual([[0, 0]]);
    expect(h.errors.map((e) => e.raw)).toEqual(['<04><B0>@<03>']);
    expect(h.links).toEqual([
      ['connecting', 'fake'],
      ['open', 'fake'],
      ['closed', 'disconnected: EIO'],
      ['open', 'fake'],
    ]);
  });

  it('stops listening to the transport on stop()', async () => {
    const h = harness();
    await h.driver.stop();
    h.transport.feed(STREAM);
    expect(h.counts).toEqual([]);
    expect(h.transport.listenerCount('data')).toBe(0);
  });
});
