import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeTransport, watchDriver } from '../../../tests/helpers/scale-driver.js';
import type { ScaleReading } from '../scale.js';
import type { SartoriusConfigInput } from './config.js';
import { SartoriusDriver } from './driver.js';
import { parseSartoriusFrame, type SartoriusParseOptions } from './parser.js';

const mass = (kg: number, stable = true, net = false): ScaleReading => ({ kind: 'mass', kg, stable, net });
const notMass = (reason: string): ScaleReading => ({ kind: 'not-mass', reason });
const OVER: ScaleReading = { kind: 'overload' };
const UNDER: ScaleReading = { kind: 'underload' };
const evenParity = (b: Buffer): Buffer => Buffer.from(b.map((x) => (x.toString(2).split('1').length % 2 === 0 ? x | 0x80 : x)));

/** [frame without CR LF, expected reading, frame length, options]. Every frame is 14 or 20 characters. */
const GOLDEN: Array<[string, ScaleReading, 16 | 22, SartoriusParseOptions?]> = [
  // 16 characters: sign, space or digit, 8 characters of weight, space, 3 of unit.
  ['+    12.34 kg ', mass(12.34), 16],
  ['-     1.50 kg ', mass(-1.5), 16],
  ['+   1255.7 g  ', mass(1.2557), 16], // the manual's example, 1255.7 g
  ['+111.25507 g  ', mass(0.11125507), 16], // position 2 holds a digit
  ['+     1234 g  ', mass(1.234), 16],
  ['+    30.50 lb ', mass(13.8346), 16], // 30.5 lb, one more digit in kg
  ['+    1.234 t  ', mass(1234), 16],
  ['     12.34 kg ', mass(12.34), 16], // a space for +
  ['+     0.00 kg ', mass(0), 16],
  ['-     0.00 kg ', mass(0), 16],
  ['+ 123.5[6] g  ', mass(0.12356), 16], // a non-verified digit in brackets
  ['+    12.34    ', mass(12.34, false), 16, { unit: 'kg' }], // no unit: moving
  ['+    12.34    ', notMass('moving, in a unit not known until the first stable frame'), 16],
  ['+       12 pcs', notMass('counting mode (pcs)'), 16],
  ['+     12.5 %  ', notMass('percent mode'), 16],
  ['+    12.34 ct ', notMass('unit "ct" is not converted'), 16],
  ['      H       ', OVER, 16],
  ['      HH      ', OVER, 16],
  ['      L       ', UNDER, 16],
  ['      LL      ', UNDER, 16],
  ['      C       ', notMass('calibration/adjustment (C)'), 16],
  ['      --      ', notMass('final readout test (--)'), 16],
  // 22 characters: a 6-character ID code in front.
  ['G#    +    12.34 kg ', mass(12.34), 22],
  ['G     +    12.34 kg ', mass(12.34), 22],
  ['N     -     1.25 kg ', mass(-1.25, true, true), 22],
  ['N1    +     3.00 kg ', mass(3, true, true), 22],
  ['N     +     3.05    ', mass(3.05, false, true), 22, { unit: 'kg' }],
  ['T     +     2.00 kg ', notMass('tare display (T)'), 22],
  ['PT1   +     2.00 kg ', notMass('tare display (PT1)'), 22],
  ['Qnt   +       12 pcs', notMass('"Qnt" value, not the weight on the pan'), 22],
  ['Stat        H       ', OVER, 22],
  ['Stat        L       ', UNDER, 22],
  ['Stat     High       ', OVER, 22],
  ['Stat     Low        ', UNDER, 22],
  ['Stat     Cal.Ext.   ', notMass('status line "Cal.Ext."'), 22],
];

describe('parseSartoriusFrame: golden frames', () => {
  it.each(GOLDEN)('%j', (frame, reading, length, options) => {
    expect(frame).toHaveLength(length - 2);
    const result = parseSartoriusFrame(frame, options);
    expect(result).toMatchObject({ ok: true, reading, length });
    // Forcing the right length gives the same; parity bits and garbage before the frame change nothing.
    expect(parseSartoriusFrame(frame, { ...options, frameLength: length })).toEqual(result);
    expect(parseSartoriusFrame(evenParity(Buffer.from(frame, 'latin1')), options)).toEqual(result);
    expect(parseSartoriusFrame(Buffer.from(`\x00\xFF${frame}`, 'latin1'), { ...options, frameLength: length })).toEqual(result);
  });

  it('reports the ID code and unit it read', () => {
    expect(parseSartoriusFrame('N     -     1.25 kg ')).toEqual({ ok: true, reading: mass(-1.25, true, true), length: 22, id: 'N', unit: 'kg' });
    expect(parseSartoriusFrame('+    12.34    ', { unit: 'g' })).toEqual({ ok: true, reading: mass(0.01234, false), length: 16, id: '', unit: '' });
  });

  it.each<[string, string | Buffer, RegExp, SartoriusParseOptions?]>([
    ['a partial first frame', '2.34 kg ', /10 characters with CR LF/],
    ['an empty line', '', /2 characters/],
    ['line-break garbage', Buffer.from([0x00, 0xff, 0x00]), /2 characters/],
    ['a power-up banner', 'SARTORIUS ENTRIS 224I-1S', /"E" where the sign should be/],
    ['a device error', 'Stat     ERR 054    ', /the balance reports an error \(ERR 054\)/],
    ['a weight that is not a number', '+    12,34 kg ', /weight field "12,34" is not a number/],
    ['a bad sign', '*    12.34 kg ', /"\*" where the sign should be/],
    ['a 16-character frame where 22 are expected', '+    12.34 kg ', /an SBI frame has 16, or 22/, { frameLength: 22 }],
  ])('reports %s as a frame error', (_name, frame, reason, options) => {
    const result = parseSartoriusFrame(frame, options);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('reads a foreign line with a `?` before the weight as moving, never stable', () => {
    // RADWAG, R series balances user manual, § 15.2 « Response format », p. 83: « command, space, stability
    // marker ([?] if unstable), space, sign, 9 characters of mass, space, 3 of unit ». The last 14 characters
    // look like an SBI frame with a unit, which SBI would call stable.
    expect(parseSartoriusFrame('SI ?      12.34 kg ')).toMatchObject({ ok: true, reading: mass(12.34, false) });
    expect(parseSartoriusFrame('SI ? -    12.34 kg ')).toMatchObject({ ok: true, reading: mass(-12.34, false) });
    // The same line with its stability marker blank (stable) reads as stable.
    expect(parseSartoriusFrame('SI        12.34 kg ')).toMatchObject({ ok: true, reading: mass(12.34) });
  });

  it('does not take six bytes of noise before a 16-character frame for an ID code', () => {
    // Sartorius, SBI data output (e.g. Entris II BCE operating instructions, « Data output format »): the ID
    // code is up to 6 characters, left-aligned and padded with spaces. Noise is not padded.
    expect(parseSartoriusFrame('x\x01O0.dJg+    12.34 kg ')).toMatchObject({ ok: true, length: 16, reading: mass(12.34) });
    expect(parseSartoriusFrame('\x01Stat  +    12.34 kg ')).toMatchObject({ ok: true, length: 22 });
  });

  it('tells a 16-character frame glued to garbage from a 22-character one', () => {
    expect(parseSartoriusFrame('xx 12+    12.34 kg ')).toMatchObject({ ok: true, length: 16, reading: mass(12.34) });
    expect(parseSartoriusFrame('2.34 kgG#    +    12.34 kg ')).toMatchObject({ ok: true, length: 22, reading: mass(12.34) });
  });
});

function harness(config: SartoriusConfigInput = {}) {
  const transport = new FakeTransport();
  const driver = new SartoriusDriver(transport, config);
  const seen = watchDriver(driver);
  driver.start();
  return { transport, driver, seen, readings: () => seen.readings.map((r) => r.reading) };
}

const STREAM = '+    12.34    \r\n+    12.35 kg \r\nG#    +    12.35 kg \r\nN     -     1.25    \r\n      H       \r\n';
const STREAM_READINGS = [
  notMass('moving, in a unit not known until the first stable frame'),
  mass(12.35),
  mass(12.35),
  mass(-1.25, false, true), // the unit of the last stable frame
  OVER,
];

describe('SartoriusDriver', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('frames a stream of 16- and 22-character frames, whatever byte boundary splits it', () => {
    const bytes = Buffer.from(STREAM, 'latin1');
    for (let i = 0; i <= bytes.length; i++) {
      const h = harness();
      h.transport.feed(bytes.subarray(0, i));
      h.transport.feed(bytes.subarray(i));
      expect(h.readings(), `split at ${i}`).toEqual(STREAM_READINGS);
      expect(h.seen.errors, `split at ${i}`).toEqual([]);
    }
    const h = harness();
    for (const b of bytes) h.transport.feed([b]);
    expect(h.readings()).toEqual(STREAM_READINGS);
  });

  it('uses the configured unit for moving frames before the first stable one', () => {
    const h = harness({ unit: 'g' });
    h.transport.feed('+     1250    \r\n+   1250.0 g  \r\n');
    expect(h.readings()).toEqual([mass(1.25, false), mass(1.25)]);
  });

  it('masks a parity bit set on every byte, CR LF included (7O1/7E1 read as 8N1)', () => {
    const h = harness();
    h.transport.feed(evenParity(Buffer.from(STREAM, 'latin1')));
    expect(h.readings()).toEqual(STREAM_READINGS);
    expect(h.seen.errors).toEqual([]);
  });

  it('loses nothing but the garbage: 0x00/0xFF, a power-up banner, a partial first frame, an error line', () => {
    const h = harness();
    h.transport.feed('2.34 kg \r\n'); // the tail of a frame cut by the start of the stream
    h.transport.feed('SARTORIUS\r\nENTRIS224I-1S     V 01.02\r\n');
    h.transport.feed('+    12.34 kg \r\n');
    h.transport.feed(Buffer.from([0x00, 0xff, 0x0d, 0x0a]));
    h.transport.feed(Buffer.from('\x00\xFF+    12.36 kg \r\n', 'latin1'));
    h.transport.feed('\r\n');
    h.transport.feed('Stat     ERR 054    \r\n');
    h.transport.feed('+    12.38 kg \r\n');
    expect(h.readings()).toEqual([mass(12.34), mass(12.36), mass(12.38)]);
    expect(h.seen.errors.map((e) => e.raw)).toEqual([
      '2.34 kg ',
      'SARTORIUS',
      'ENTRIS224I-1S     V 01.02',
      '<00><7F>',
      'Stat     ERR 054    ',
    ]);
  });

  it('drops a line that never ends, reports it, and carries on', () => {
    const h = harness({ maxLineBytes: 64 });
    h.transport.feed('A'.repeat(100));
    expect(h.seen.errors).toHaveLength(1);
    expect(h.seen.errors[0]!.reason).toMatch(/no CR LF within 64 bytes/);
    h.transport.feed('+    12.34 kg \r\n');
    expect(h.readings()).toEqual([mass(12.34)]);
  });

  it('reads the configured frame length only', () => {
    const h = harness({ frameLength: 16 });
    h.transport.feed('N     -     1.25 kg \r\n');
    expect(h.readings()).toEqual([mass(-1.25)]); // the ID is taken for garbage before a 16-character frame
    const g = harness({ frameLength: 22 });
    g.transport.feed('+    12.34 kg \r\nN     -     1.25 kg \r\n');
    expect(g.readings()).toEqual([mass(-1.25, true, true)]);
    expect(g.seen.errors).toHaveLength(1);
  });

  it('sends ESC-prefixed commands: T by default, the configured ones otherwise', () => {
    const h = harness();
    h.driver.command('zero');
    h.driver.command('tare');
    const g = harness({ zeroCommand: 'V', tareCommand: 'U' });
    g.driver.command('zero');
    g.driver.command('tare');
    const f = harness({ zeroCommand: 'f3_', tareCommand: 'f4_' });
    f.driver.command('zero');
    f.driver.command('tare');
    expect([h, g, f].map((x) => x.transport.written.map((b) => b.toString('latin1')))).toEqual([
      ['\x1bT\r\n', '\x1bT\r\n'],
      ['\x1bV\r\n', '\x1bU\r\n'],
      ['\x1bf3_\r\n', '\x1bf4_\r\n'],
    ]);
  });

  it('prints on connect and polls with ESC P while the link is open', () => {
    vi.useFakeTimers();
    const h = harness({ printOnConnect: true, pollMs: 200 });
    vi.advanceTimersByTime(1_000);
    expect(h.transport.written).toEqual([]); // not before the link opens
    h.transport.emit('open');
    expect(h.transport.written.map(String)).toEqual(['\x1bP\r\n']);
    vi.advanceTimersByTime(1_000);
    expect(h.transport.written).toHaveLength(6);
    h.transport.emit('close', 'disconnected: EIO');
    vi.advanceTimersByTime(1_000);
    expect(h.transport.written).toHaveLength(6);
  });

  it('stops polling on stop()', async () => {
    vi.useFakeTimers();
    const h = harness({ pollMs: 100 });
    h.transport.emit('open');
    await h.driver.stop();
    vi.advanceTimersByTime(1_000);
    expect(h.transport.written).toEqual([]);
  });

  it('refuses a poll period below 100 ms', () => {
    expect(() => new SartoriusDriver(new FakeTransport(), { pollMs: 50 })).toThrow(/at least 100 ms/);
  });

  it('reports the link, and drops half a frame cut by a disconnect', () => {
    const h = harness();
    h.transport.emit('open');
    h.transport.feed('+    12');
    h.transport.emit('close', 'disconnected: EIO');
    h.transport.emit('open');
    h.transport.feed('.34 kg \r\n+    12.35 kg \r\n');
    expect(h.readings()).toEqual([mass(12.35)]);
    expect(h.seen.errors.map((e) => e.raw)).toEqual(['.34 kg ']);
    expect(h.seen.links.map((l) => [l.state, l.detail])).toEqual([
      ['connecting', 'fake'],
      ['open', 'fake'],
      ['closed', 'disconnected: EIO'],
      ['open', 'fake'],
    ]);
  });

  it('stops listening to the transport on stop()', async () => {
    const h = harness();
    await h.driver.stop();
    h.transport.feed('+    12.34 kg \r\n');
    expect(h.readings()).toEqual([]);
    expect(h.transport.listenerCount('data')).toBe(0);
  });
});
