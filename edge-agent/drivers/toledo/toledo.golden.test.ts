import { describe, expect, it } from 'vitest';
import { FakeTransport, watchDriver } from '../../../tests/helpers/scale-driver.js';
import type { ScaleReading } from '../scale.js';
import type { ToledoConfigInput } from './config.js';
import { ToledoDriver } from './driver.js';
import { parseToledoFrame, type ToledoStatus } from './parser.js';

/** A frame from its parts; `checksum` true computes it here, independently of the code under test. */
function frame(swa: number, swb: number, swc: number, weight: string, tare: string, checksum: boolean | number = true): Buffer {
  const body = Buffer.concat([Buffer.from([0x02, swa, swb, swc]), Buffer.from(weight + tare, 'latin1'), Buffer.from([0x0d])]);
  if (body.length !== 17) throw new Error(`a test frame of ${body.length} bytes`);
  if (checksum === false) return body;
  const sum = body.reduce((a, b) => a + (b & 0x7f), 0);
  return Buffer.concat([body, Buffer.from([checksum === true ? (128 - (sum % 128)) % 128 : checksum])]);
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const evenParity = (b: Buffer): Buffer =>
  Buffer.from(b.map((x) => (x.toString(2).split('1').length % 2 === 0 ? x | 0x80 : x)));
const mass = (kg: number, stable = true, net = false, tareKg = 0): ScaleReading => ({ kind: 'mass', kg, stable, net, tareKg });

/** The worked frames of docs/devices.md, byte for byte. */
const WORKED_GROSS = hex('02 2C 30 20 20 20 31 32 33 34 20 20 20 30 30 30 0D 7B'); // 02 2C 30 20 "  1234" "   000" 0D 7B
const WORKED_NET = hex('02 2C 3B 20 20 20 20 35 30 30 20 20 31 30 30 30 0D 74'); // 02 2C 3B 20 "   500" "  1000" 0D 74

const STATUS: ToledoStatus = {
  decimals: 2,
  increment: 1,
  net: false,
  negative: false,
  outOfRange: false,
  motion: false,
  unit: 'kg',
  powerUpNotZeroed: false,
  printRequest: false,
};

describe('parseToledoFrame: the worked frames', () => {
  it('both satisfy the checksum rule: their 18 bytes sum to 0 modulo 128', () => {
    for (const f of [WORKED_GROSS, WORKED_NET]) expect(f.reduce((a, b) => a + b, 0) % 128).toBe(0);
    expect(frame(0x2c, 0x30, 0x20, '  1234', '   000')).toEqual(WORKED_GROSS);
    expect(frame(0x2c, 0x3b, 0x20, '   500', '  1000')).toEqual(WORKED_NET);
  });

  it('12.34 kg gross stable, tare 0', () => {
    expect(parseToledoFrame(WORKED_GROSS)).toEqual({ ok: true, reading: mass(12.34), status: STATUS });
  });

  it('−5.00 kg net moving, tare 10.00 kg', () => {
    expect(parseToledoFrame(WORKED_NET)).toEqual({
      ok: true,
      reading: mass(-5, false, true, 10),
      status: { ...STATUS, net: true, negative: true, motion: true },
    });
  });
});

describe('parseToledoFrame: every status bit', () => {
  // SWA 0x24 = bit 5, increment ×1, decimal code 4 (0.01); SWB 0x30 = bit 5, kg; SWC 0x20 = bit 5.
  it.each<[code: number, kg: number, tareKg: number]>([
    [0, 123400, 1000],
    [1, 12340, 100],
    [2, 1234, 10],
    [3, 123.4, 1],
    [4, 12.34, 0.1],
    [5, 1.234, 0.01],
    [6, 0.1234, 0.001],
    [7, 0.01234, 0.0001],
  ])('decimal code %i: "  1234" is %f kg, tare "    10" is %f kg', (code, kg, tareKg) => {
    const r = parseToledoFrame(frame(0x28 | code, 0x30, 0x20, '  1234', '    10'));
    expect(r).toEqual({ ok: true, reading: mass(kg, true, false, tareKg), status: { ...STATUS, decimals: code - 2 } });
  });

  it.each<[code: number, increment: 1 | 2 | 5 | undefined]>([
    [0, undefined],
    [1, 1],
    [2, 2],
    [3, 5],
  ])('increment code %i is ×%s', (code, increment) => {
    const r = parseToledoFrame(frame(0x24 | (code << 3), 0x30, 0x20, '  1234', '     0'));
    expect(r).toMatchObject({ ok: true, reading: mass(12.34), status: { increment } });
  });

  it.each<[name: string, swb: number, swc: number, reading: ScaleReading, status: Partial<ToledoStatus>]>([
    ['gross, positive, stable, kg', 0x30, 0x20, mass(12.34), {}],
    ['SWB bit 0: net', 0x31, 0x20, mass(12.34, true, true), { net: true }],
    ['SWB bit 1: negative', 0x32, 0x20, mass(-12.34), { negative: true }],
    ['SWB bit 2: out of range', 0x34, 0x20, { kind: 'overload' }, { outOfRange: true }],
    ['SWB bits 1 and 2: out of range, negative', 0x36, 0x20, { kind: 'underload' }, { outOfRange: true, negative: true }],
    ['SWB bit 3: motion', 0x38, 0x20, mass(12.34, false), { motion: true }],
    ['SWB bit 4 clear: lb', 0x20, 0x20, mass(5.5973), { unit: 'lb' }], // 12.34 lb, one more digit in kg
    [
      'SWB bit 6: power-up, not zeroed',
      0x70,
      0x20,
      { kind: 'not-mass', reason: 'power-up: the scale has not been zeroed yet' },
      { powerUpNotZeroed: true },
    ],
    ['SWC 1: grams', 0x30, 0x21, mass(0.01234), { unit: 'g' }],
    ['SWC 2: tonnes', 0x30, 0x22, mass(12340), { unit: 't' }],
    ['SWC 3: ounces', 0x30, 0x23, { kind: 'not-mass', reason: 'unit "oz" is not converted' }, { unit: 'oz' }],
    ['SWC 7: custom unit', 0x30, 0x27, { kind: 'not-mass', reason: 'unit "custom" is not converted' }, { unit: 'custom' }],
    ['SWC bit 3: print request', 0x30, 0x28, mass(12.34), { printRequest: true }],
    ['every flag at once', 0x3b, 0x28, mass(-12.34, false, true), { net: true, negative: true, motion: true, printRequest: true }],
  ])('%s', (_name, swb, swc, reading, status) => {
    const f = frame(0x2c, swb, swc, '  1234', '     0');
    const expected = { ok: true, reading, status: { ...STATUS, ...status } };
    expect(parseToledoFrame(f)).toEqual(expected);
    // Parity in bit 7 of every byte, the checksum's included, changes nothing.
    expect(parseToledoFrame(evenParity(f))).toEqual(expected);
    // Nor does leaving the checksum out.
    expect(parseToledoFrame(f.subarray(0, 17))).toEqual(expected);
  });

  it('keeps the resolution when converting lb, g and t', () => {
    const kg = (swa: number, swb: number, swc: number, w: string) => {
      const r = parseToledoFrame(frame(swa, swb, swc, w, '     0'));
      return r.ok && r.reading.kind === 'mass' ? r.reading.kg : NaN;
    };
    expect(kg(0x2b, 0x20, 0x20, ' 30505')).toBe(1383.684); // 3050.5 lb: 1383.6837…, one more digit than the lb had
    expect(kg(0x2c, 0x20, 0x20, '     1')).toBe(0.0045); // 0.01 lb: 0.004536…
    expect(kg(0x2a, 0x30, 0x21, '  1250')).toBe(1.25); // 1250 g
    expect(kg(0x2b, 0x30, 0x21, ' 12505')).toBe(1.2505); // 1250.5 g
    expect(kg(0x2d, 0x30, 0x22, '  1234')).toBe(1234); // 1.234 t
    expect(kg(0x29, 0x30, 0x20, '   123')).toBe(1230); // ×10
  });

  it('never returns -0', () => {
    const r = parseToledoFrame(frame(0x2c, 0x32, 0x20, '     0', '     0'));
    expect(r.ok && r.reading.kind === 'mass' && Object.is(r.reading.kg, 0)).toBe(true);
  });

  it('reads space- and zero-padded digits alike, and a blank tare as none', () => {
    expect(parseToledoFrame(frame(0x2c, 0x30, 0x20, '001234', '000000'))).toMatchObject({ ok: true, reading: mass(12.34) });
    expect(parseToledoFrame(frame(0x2c, 0x31, 0x20, '000500', '001000'))).toMatchObject({ ok: true, reading: mass(5, true, true, 10) });
    expect(parseToledoFrame(frame(0x2c, 0x30, 0x20, '  1234', '      '))).toMatchObject({ ok: true, reading: mass(12.34) });
  });

  it('reads a Fairbanks indicator in Toledo mode, whose SWB has bit 5 at 0, on the strength of its checksum', () => {
    // Fairbanks FB3000 II operator's manual (51220 Rev. 1), Appendix III « Toledo data format », p. 55:
    // status word B bit 5 « Always Logic = 0 », where Mettler Toledo's sets it; words A and C keep it.
    expect(parseToledoFrame(frame(0x2c, 0x10, 0x20, '  1234', '     0'))).toMatchObject({ ok: true, reading: mass(12.34) });
    expect(parseToledoFrame(frame(0x2c, 0x19, 0x20, '   500', '  1000'))).toMatchObject({ ok: true, reading: mass(5, false, true, 10) });
    // A wrong checksum is still refused, bit 5 or not.
    expect(parseToledoFrame(frame(0x2c, 0x10, 0x20, '  1234', '     0', 0x11))).toMatchObject({ ok: false, reason: expect.stringMatching(/checksum 0x11/) });
  });

  it('reads the status before the digits: out of range with any digits is still out of range', () => {
    expect(parseToledoFrame(frame(0x2c, 0x34, 0x20, '      ', '      '))).toMatchObject({ ok: true, reading: { kind: 'overload' } });
    expect(parseToledoFrame(frame(0x2c, 0x74, 0x20, '999999', '     0'))).toMatchObject({ ok: true, reading: { kind: 'overload' } });
  });

  it.each<[string, Buffer | string, RegExp]>([
    ['SWA without bit 5', frame(0x0c, 0x30, 0x20, '  1234', '     0'), /SWA without bit 5/],
    ['SWB without bit 5 and no checksum to vouch for it', frame(0x2c, 0x10, 0x20, '  1234', '     0', false), /SWB without bit 5 \(0x10\) and no checksum/],
    ['SWC without bit 5', frame(0x2c, 0x30, 0x00, '  1234', '     0'), /SWC without bit 5/],
    ['a wrong checksum', frame(0x2c, 0x30, 0x20, '  1234', '     0', 0x7c), /checksum 0x7C where the frame needs 0x/],
    ['a checksum of STX that should be something else', frame(0x2c, 0x30, 0x20, '  1234', '     0', 0x02), /checksum 0x02/],
    ['a letter among the digits', frame(0x2c, 0x30, 0x20, '  12A4', '     0'), /byte 9 is not a digit/],
    ['a space among the digits', frame(0x2c, 0x30, 0x20, '  12 4', '     0'), /weight field "  12 4" is not a number/],
    ['a blank weight', frame(0x2c, 0x30, 0x20, '      ', '     0'), /weight field "      " is not a number/],
    ['a space inside the tare', frame(0x2c, 0x30, 0x20, '  1234', ' 1 000'), /tare field/],
    ['no CR at byte 17', Buffer.from('\x02,0   1234     0\n'), /no CR at byte 17/],
    ['no STX', Buffer.from('X,0   1234     0\r'), /no STX/],
    ['a frame cut short', Buffer.from('\x02,0   1234'), /10 bytes/],
    ['a power-up banner', 'METTLER TOLEDO IND560 ', /22 bytes/],
    ['line-break garbage', Buffer.from([0x00, 0xff]), /2 bytes/],
  ])('reports %s', (_name, f, reason) => {
    const r = parseToledoFrame(f);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });
});

function harness(config: ToledoConfigInput = {}) {
  const transport = new FakeTransport();
  const driver = new ToledoDriver(transport, config);
  const seen = watchDriver(driver);
  driver.start();
  return {
    transport,
    driver,
    seen,
    readings: () => seen.readings.map((r) => r.reading),
  };
}

/** Four frames whose checksums are ordinary, STX, LF and CR: the bytes a careless framer splits on. */
const F1 = frame(0x2c, 0x30, 0x20, '  1234', '     0'); // 12.34 kg
const F_STX = frame(0x2c, 0x30, 0x20, '  8999', '     0'); // checksum 0x02
const F_LF = frame(0x2c, 0x30, 0x20, '  1899', '     0'); // checksum 0x0A
const F_CR = frame(0x2c, 0x30, 0x20, '  1896', '     0'); // checksum 0x0D
const STREAM_READINGS = [mass(12.34), mass(89.99), mass(18.99), mass(18.96)];
const withChecksums = [F1, F_STX, F_LF, F_CR];
const without = withChecksums.map((f) => f.subarray(0, 17));

describe('ToledoDriver', () => {
  it.each(['auto', 'present'] as const)('reads a Fairbanks indicator in Toledo mode (SWB bit 5 at 0), checksum %s', (checksum) => {
    const fairbanks = [frame(0x2c, 0x10, 0x20, '  1234', '     0'), frame(0x2c, 0x18, 0x20, '  1250', '     0'), frame(0x2c, 0x10, 0x20, '  1250', '     0')];
    const h = harness({ checksum });
    h.transport.feed(Buffer.concat([...fairbanks, ...fairbanks, F1.subarray(0, 4)]));
    expect(h.readings()).toEqual([mass(12.34), mass(12.5, false), mass(12.5), mass(12.34), mass(12.5, false), mass(12.5)]);
    expect(h.seen.errors).toEqual([]);
  });

  it('uses test frames whose checksum bytes are STX, LF and CR', () => {
    expect([F_STX[17], F_LF[17], F_CR[17]]).toEqual([0x02, 0x0a, 0x0d]);
  });

  it.each<[string, ToledoConfigInput['checksum'], Buffer[]]>([
    ['present', 'present', withChecksums],
    ['absent', 'absent', without],
    ['auto, with checksums', 'auto', withChecksums],
    ['auto, without checksums', 'auto', without],
  ])('reads a stream whatever byte boundary splits it (checksum %s)', (_name, checksum, frames) => {
    // Twice over, and a closing frame: in auto mode the last frame waits for the byte after it.
    const bytes = Buffer.concat([...frames, ...frames, F1.subarray(0, 4)]);
    const expected = [...STREAM_READINGS, ...STREAM_READINGS];
    for (let i = 0; i <= bytes.length; i++) {
      const h = harness({ checksum });
      h.transport.feed(bytes.subarray(0, i));
      h.transport.feed(bytes.subarray(i));
      expect(h.readings(), `split at ${i}`).toEqual(expected);
      expect(h.seen.errors, `split at ${i}`).toEqual([]);
    }
    const h = harness({ checksum });
    for (const b of bytes) h.transport.feed([b]);
    expect(h.readings()).toEqual(expected);
    expect(h.seen.errors).toEqual([]);
  });

  it('detects the checksum mode in auto', () => {
    const a = harness();
    expect(a.driver.checksumMode).toBeUndefined();
    a.transport.feed(Buffer.concat(withChecksums));
    expect(a.driver.checksumMode).toBe('present');
    const b = harness();
    b.transport.feed(Buffer.concat(without));
    expect(b.driver.checksumMode).toBe('absent');
    expect(b.readings()).toEqual(STREAM_READINGS);
  });

  it('reports the raw frame printably', () => {
    const h = harness({ checksum: 'present' });
    h.transport.feed(WORKED_NET);
    expect(h.seen.readings[0]!.raw).toBe('<02>,; ' + '   500  1000<0D>t');
  });

  it('masks a parity bit set on every byte, STX, CR and checksum included', () => {
    for (const checksum of ['present', 'auto'] as const) {
      const h = harness({ checksum });
      h.transport.feed(evenParity(Buffer.concat([...withChecksums, F1])));
      expect(h.readings()).toEqual([...STREAM_READINGS, mass(12.34)]);
      expect(h.seen.errors).toEqual([]);
    }
  });

  it.each([
    ['STX', 0x02],
    ['LF', 0x0a],
    ['CR', 0x0d],
    ['an ordinary byte', 0x41],
  ])('resynchronises after a bad checksum that is %s, losing only that frame', (_name, byte) => {
    for (const checksum of ['present', 'auto'] as const) {
      const h = harness({ checksum });
      const bad = frame(0x2c, 0x30, 0x20, '  9999', '     0', byte); // 99.99 kg, whose right checksum is none of these
      h.transport.feed(Buffer.concat([F1, bad, F_STX, bad, F_CR, bad, bad, F_LF, F1]));
      expect(h.readings(), checksum).toEqual([mass(12.34), mass(89.99), mass(18.96), mass(18.99), mass(12.34)]);
      expect(h.seen.errors.map((e) => e.reason)).toEqual([
        expect.stringMatching(/^checksum mismatch.*\(18 bytes skipped\)$/),
        expect.stringMatching(/^checksum mismatch.*\(18 bytes skipped\)$/),
        expect.stringMatching(/^checksum mismatch.*\(36 bytes skipped\)$/),
      ]);
      expect(h.seen.errors[0]!.raw).toBe(`<02>,0   9999     0<0D>${byte === 0x41 ? 'A' : `<${byte.toString(16).padStart(2, '0').toUpperCase()}>`}`);
    }
  });

  it('loses nothing but the garbage: 0x00/0xFF, a power-up banner, a partial first frame, a false STX', () => {
    const h = harness();
    h.transport.feed(F1.subarray(9)); // the tail of a frame cut by the start of the stream
    h.transport.feed(F1);
    h.transport.feed('METTLER TOLEDO\r\nIND560 V2.1\r\n');
    h.transport.feed(F_STX);
    h.transport.feed([0x00, 0xff, 0xff, 0x00]);
    h.transport.feed(F_LF);
    h.transport.feed([0x02, 0x02, 0x2c, 0x30]); // false starts, and half a frame
    h.transport.feed(F_CR);
    h.transport.feed(F1);
    expect(h.readings()).toEqual([...STREAM_READINGS, mass(12.34)]);
    expect(h.seen.errors.map((e) => e.raw)).toEqual([
      '4     0<0D><1B>',
      'METTLER TOLEDO<0D><0A>IND560 V2.1<0D><0A>',
      '<00><7F><7F><00>',
      '<02><02>,0',
    ]);
    expect(h.seen.errors.every((e) => /bytes skipped without a frame/.test(e.reason))).toBe(true);
  });

  it('reads an indicator still showing "power-up, not zeroed", then its weights once zeroed', () => {
    const h = harness({ checksum: 'present' });
    h.transport.feed(Buffer.concat([frame(0x2c, 0x70, 0x20, '   123', '     0'), F1]));
    expect(h.readings()).toEqual([{ kind: 'not-mass', reason: 'power-up: the scale has not been zeroed yet' }, mass(12.34)]);
  });

  it('in present mode, refuses a checksum-less stream frame by frame', () => {
    const h = harness({ checksum: 'present', maxSkipBytes: 64 });
    // Not F_STX: without its checksum and before another frame's STX, it is indistinguishable from itself with it.
    const plain = [F1, F_LF, F_CR].map((f) => f.subarray(0, 17));
    h.transport.feed(Buffer.concat([...plain, ...plain]));
    expect(h.readings()).toEqual([]);
    // One report per run of skipped bytes (here every 64), not one per frame.
    expect(h.seen.errors).toHaveLength(1);
    expect(h.seen.errors[0]!.reason).toMatch(/^checksum mismatch: the frame sums to 0x.. modulo 128, not 0 \(64 bytes skipped\)$/);
  });

  it('in absent mode, reports the checksum bytes as garbage but keeps reading', () => {
    const h = harness({ checksum: 'absent' });
    h.transport.feed(Buffer.concat([F1, F1, F1]));
    expect(h.readings()).toEqual([mass(12.34), mass(12.34), mass(12.34)]);
    expect(h.seen.errors.map((e) => e.raw)).toEqual(['<1B>', '<1B>']); // the last one is reported with the next frame
  });

  it('in auto mode, detects again when the device changes its mind', () => {
    const h = harness();
    h.transport.feed(Buffer.concat(withChecksums));
    expect(h.driver.checksumMode).toBe('present');
    h.transport.feed(Buffer.concat([...without, ...without, F1]));
    expect(h.driver.checksumMode).toBe('absent');
    const n = h.readings().length;
    h.transport.feed(Buffer.concat([F1, F1, F1, F1, F1]));
    expect(h.driver.checksumMode).toBe('present');
    expect(h.readings().length - n).toBeGreaterThanOrEqual(4);
    expect(h.readings().every((r) => r.kind === 'mass')).toBe(true);
  });

  it('reports a long run without a frame in pieces, and carries on', () => {
    const h = harness({ maxSkipBytes: 100 });
    for (let i = 0; i < 10; i++) h.transport.feed('A'.repeat(50));
    expect(h.seen.errors).toHaveLength(5);
    expect(h.seen.errors[0]!.raw).toBe('A'.repeat(64));
    h.transport.feed(Buffer.concat([F1, F1]));
    expect(h.readings()).toEqual([mass(12.34), mass(12.34)]);
  });

  it('reports the link, and drops half a frame cut by a disconnect', () => {
    const h = harness({ checksum: 'present' });
    h.transport.emit('open');
    h.transport.feed(F1.subarray(0, 9));
    h.transport.emit('close', 'disconnected: EIO');
    h.transport.emit('open');
    h.transport.feed(Buffer.concat([F1.subarray(9), F_STX]));
    expect(h.readings()).toEqual([mass(89.99)]);
    expect(h.seen.errors.map((e) => e.raw)).toEqual(['4     0<0D><1B>']);
    expect(h.seen.links.map((l) => [l.state, l.detail])).toEqual([
      ['connecting', 'fake'],
      ['open', 'fake'],
      ['closed', 'disconnected: EIO'],
      ['open', 'fake'],
    ]);
  });

  it('sends zero and tare commands', () => {
    const h = harness();
    h.driver.command('zero');
    h.driver.command('tare');
    expect(h.transport.written.map(String)).toEqual(['Z\r\n', 'T\r\n']);
  });

  it('stops listening to the transport on stop()', async () => {
    const h = harness();
    await h.driver.stop();
    h.transport.feed(Buffer.concat([F1, F1]));
    expect(h.readings()).toEqual([]);
    expect(h.transport.listenerCount('data')).toBe(0);
  });
});
