import { describe, expect, it, vi } from 'vitest';
import { seededRandom } from '../../../firmware-sim/common/sim-device.js';
import { SimulatedStgsScale } from '../../../firmware-sim/stgs/simulated-stgs-scale.js';
import { drivenByTwin, fakeLinkHarness, itReadsAStreamAnyhowCut } from '../../../tests/helpers/scale-driver.js';
import type { ScaleReading } from '../scale.js';
import type { StgsFormat } from './config.js';
import { StGsDriver } from './driver.js';
import { parseStgsFrame } from './parser.js';

const mass = (kg: number, stable = true, net = false): ScaleReading => ({ kind: 'mass', kg, stable, net });
const notMass = (reason: string): ScaleReading => ({ kind: 'not-mass', reason });
const OVER: ScaleReading = { kind: 'overload' };
const UNDER: ScaleReading = { kind: 'underload' };

/** [frame without CR LF (latin1), expected reading, detected format]. */
const GOLDEN: Array<[string, ScaleReading, StgsFormat]> = [
  // A&D balance: 2-char header, 9-char number, 3-char unit.
  ['ST,+00123.45  g', mass(0.12345), 'ad-balance'],
  ['US,+00123.45  g', mass(0.12345, false), 'ad-balance'],
  ['ST,-00001.20 kg', mass(-1.2), 'ad-balance'],
  ['ST,+0012.345 lb', mass(5.5996), 'ad-balance'], // 12.345 lb, kept to 4 decimals of kg
  ['ST,+0001.234  t', mass(1234), 'ad-balance'],
  ['ST,+00001234  g', mass(1.234), 'ad-balance'],
  ['ST,-00000.00 kg', mass(0), 'ad-balance'],
  ['OL,+9999999E+19', OVER, 'ad-balance'],
  ['OL,-9999999E+19', UNDER, 'ad-balance'],
  ['QT,+00001234 PC', notMass('counting mode (QT)'), 'ad-balance'],
  ['ST,+00012.50  %', notMass('percent mode'), 'ad-balance'],
  ['ST,+00012.50 oz', notMass('unit "oz" is not converted'), 'ad-balance'],
  // A&D indicator: status, GS/NT/TR, 8-char number, 2-char unit.
  ['ST,GS,+0012.34kg', mass(12.34), 'ad-indicator'],
  ['US,GS,+0012.34kg', mass(12.34, false), 'ad-indicator'],
  ['ST,NT,-0001.50kg', mass(-1.5, true, true), 'ad-indicator'],
  ['US,NT,+0003.25kg', mass(3.25, false, true), 'ad-indicator'],
  ['ST,GS,+0012345 g', mass(12.345), 'ad-indicator'],
  ['ST,GS,+0030.50lb', mass(13.8346), 'ad-indicator'],
  ['ST,GS,+001.250 t', mass(1250), 'ad-indicator'],
  ['ST,TR,+0002.00kg', notMass('tare display (TR)'), 'ad-indicator'],
  ['LO,GS,        kg', OVER, 'ad-indicator'],
  ['ST,GS,--------kg', OVER, 'ad-indicator'],
  ['ST,GS,  ^^^^^^kg', OVER, 'ad-indicator'],
  ['ST,GS,+0000012pc', notMass('counting mode (pcs)'), 'ad-indicator'],
  // CAS 22 bytes: id byte, lamp byte (bit 6 stable), comma, 8 data characters, blank, unit.
  ['ST,GS,1\xE4,000013.5 kg', mass(13.5), 'cas'],
  ['US,GS,1\xA4,000013.5 kg', mass(13.5, false), 'cas'],
  ['ST,GS,1\xA4,000013.5 kg', mass(13.5, false), 'cas'], // header says stable, lamp does not: not stable
  ['ST,NT,3\xE2,-00002.5 kg', mass(-2.5, true, true), 'cas'],
  ['ST,GS,1\xE5,00000.00 kg', mass(0), 'cas'],
  ['OL,GS,1\xA4,99999999 kg', OVER, 'cas'],
  ['ST,GS,1\xE4,00.012345  t', mass(12.345), 'cas'], // a wider field than 8 is tolerated
  // Dini Argeo: [485 address]HH,KK,PPPPPPPP,UM.
  ['ST,GS,    12.5,kg', mass(12.5), 'dini'],
  ['01ST,GS,    12.5,kg', mass(12.5), 'dini'],
  ['US,NT,   -1.25,kg', mass(-1.25, false, true), 'dini'],
  ['ST,GS,     0.0,Kg', mass(0), 'dini'],
  ['ST,GS,  1250.0, g', mass(1.25), 'dini'],
  ['ST,GS,   27.56,lb', mass(12.5010), 'dini'],
  ['OL,GS,        ,kg', OVER, 'dini'],
  ['UL,GS,        ,kg', UNDER, 'dini'],
  ['TL,GS,    12.5,kg', notMass('scale not level (TL)'), 'dini'],
  ['ST,VL,  1234.5,uV', notMass('raw converter output (VL)'), 'dini'],
];

describe('parseStgsFrame: golden frames', () => {
  it.each(GOLDEN)('%j', (frame, expected, format) => {
    const result = parseStgsFrame(frame);
    expect(result).toEqual({ ok: true, reading: expected, format });
    // Forcing the right format gives the same; masking parity bits changes nothing.
    expect(parseStgsFrame(frame, format)).toEqual(result);
    expect(parseStgsFrame(Buffer.from(Buffer.from(frame, 'latin1').map((b) => b | 0x80)))).toEqual(result);
  });

  it('never returns -0', () => {
    const r = parseStgsFrame('ST,-00000.00 kg');
    expect(r.ok && r.reading.kind === 'mass' && Object.is(r.reading.kg, 0)).toBe(true);
  });

  it.each<[string, string | Buffer, RegExp]>([
    ['a partial first frame', '0123.45  g', /no status header/],
    ['a power-up banner', 'A&D AD-4329A  Ver 2.10', /no status header/],
    ['line-break garbage only', Buffer.from([0x00, 0xff, 0x00]), /no status header/],
    ['an empty frame', '', /empty frame/],
    ['a stable header with no digits', 'ST,GS,        kg', /not a number/],
    ['a number with spaces inside', 'ST,GS,+12 34.5kg', /not a number/],
    ['a number wider than any of the family', 'ST,+0000000123.45 kg', /not a number/],
    ['a line break inside the weight', 'ST,GS,+00\n12.34kg', /not a number/],
    ['a missing unit', 'ST,GS,+0012.34', /no unit/],
    ['a command refused by the device', 'EC,E1', /refused a command \(EC,E1\)/],
  ])('reports %s as a frame error', (_name, frame, reason) => {
    const result = parseStgsFrame(frame);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('skips garbage before the header on the same line', () => {
    expect(parseStgsFrame(Buffer.from('\x00\xFFST,GS,+0012.34kg', 'latin1'))).toEqual({
      ok: true,
      reading: mass(12.34),
      format: 'ad-indicator',
    });
    // The tail of a cut frame glued to a whole one: the whole one wins.
    expect(parseStgsFrame('ST,+001ST,+00123.45  g')).toMatchObject({ ok: true, reading: mass(0.12345) });
    expect(parseStgsFrame('45 kgUS,GS,+0001.00kg')).toMatchObject({ ok: true, reading: mass(1, false) });
  });

  it('reads an A&D balance with its comparator on, or its CSV output setting', () => {
    // A&D balances (FX-i/FZ-i, GX-A/GF-A instruction manuals, « Data format »): with the comparator on, its
    // result (OK go, LO under, HI over, -- none) follows the header as a second one; the « CSV » data format
    // puts a comma between the data and the unit. Neither is a weight's status: the first header is.
    expect(parseStgsFrame('ST,OK,+00012.34  g')).toMatchObject({ ok: true, reading: mass(0.01234), format: 'ad-balance' });
    expect(parseStgsFrame('ST,HI,+00012.34  g')).toMatchObject({ ok: true, reading: mass(0.01234) });
    // LO here is the comparator's « under », not the indicators' overload header.
    expect(parseStgsFrame('US,LO,+00012.34  g')).toMatchObject({ ok: true, reading: mass(0.01234, false) });
    expect(parseStgsFrame('ST,--,-00001.50 kg')).toMatchObject({ ok: true, reading: mass(-1.5) });
    expect(parseStgsFrame('ST,+00012.34,  g')).toMatchObject({ ok: true, reading: mass(0.01234) });
    expect(parseStgsFrame('ST,+0012.345,kg')).toMatchObject({ ok: true, reading: mass(12.345) });
    expect(parseStgsFrame('OL,HI,+9999999E+19  g')).toMatchObject({ ok: true, reading: { kind: 'overload' } });
  });

  it('reads Adam Equipment continuous output: GS or NT glued to the sign', () => {
    // Adam Equipment, Highland series user manual (2011), « Continuous output », p. 25: « 22 characters, ST for
    // stable / US for unstable followed by GS for gross weight / NT for net weight and then a minus sign for
    // negative weight, or a space for positive weight », the weight, the unit.
    expect(parseStgsFrame('ST,GS      123.45 g ')).toMatchObject({ ok: true, reading: mass(0.12345) });
    expect(parseStgsFrame('US,NT-       1.25 kg')).toMatchObject({ ok: true, reading: mass(-1.25, false, true) });
    expect(parseStgsFrame('ST,GS      123.45 g ', 'ad-indicator')).toMatchObject({ ok: true, reading: mass(0.12345) });
  });

  it('reads the Dini Argeo extended strings: the AF string and the answer to REXT', () => {
    // Dini Argeo, 3590E/CPWE series technical manual E-AF03_05.01_14.07_EN_T. § 5.4 p. 65, « AF string »:
    // [CC]SS,B,LLLLLLLLLLUM,YYTTTTTTTTTTUM, gross then tare on 10 characters, YY = PT (tare typed in) or two
    // spaces. P. 69, « Reading of extended weight string » [CC]REXT: [CC]B,hh,NNNNNNNNNN,YYTTTTTTTTTT,
    // PPPPPPPPPP,MMMMMMMMMM,uu, the net weight, the tare, two fields « always 0 »; ER in place of the status
    // when the remote scale is in error. The net weight is what the string says, never a guess.
    const dini = (reading: ScaleReading) => ({ ok: true, reading, format: 'dini' });
    expect(parseStgsFrame('ST,1,     12.50kg,PT      2.00kg')).toEqual(dini(mass(10.5, true, true)));
    expect(parseStgsFrame('US,1,      3.25kg,        0.00kg')).toEqual(dini(mass(3.25, false)));
    expect(parseStgsFrame('01ST,2,       0.3kg,         0.1kg')).toEqual(dini(mass(0.2, true, true))); // 0.3 − 0.1, no float residue
    expect(parseStgsFrame('ST,1,      1250 g,         250 g')).toEqual(dini(mass(1, true, true)));
    expect(parseStgsFrame('OL,1,          kg,        0.00kg')).toEqual(dini(OVER));
    expect(parseStgsFrame('1,ST,     10.50,PT      2.00,         0,         0,kg')).toEqual(dini(mass(10.5, true, true)));
    expect(parseStgsFrame('001,US,     -1.25,        0.00,         0,         0,kg')).toEqual(dini(mass(-1.25, false)));
    expect(parseStgsFrame('1,UL,          ,        0.00,         0,         0,kg')).toEqual(dini(UNDER));
    expect(parseStgsFrame('1,ST,1234567.89,        0.00,         0,         0,kg')).toEqual(dini(mass(1234567.89)));
    expect(parseStgsFrame('1,ST,     10.50,PT      2.00,         0,         0,kg', 'dini')).toEqual(dini(mass(10.5, true, true)));
    // The remote scale in error: a fault, never a weight.
    expect(parseStgsFrame('1,ER,      0.00,        0.00,         0,         0,kg')).toEqual({ ok: false, reason: 'the indicator reports its remote scale in error (ER)' });
    expect(parseStgsFrame('ER,1,      0.00kg,        0.00kg')).toMatchObject({ ok: false, reason: /remote scale in error/ });
    expect(parseStgsFrame('ER,GS,    12.5,kg')).toMatchObject({ ok: false });
    // Forced to another format, or torn, it is no weight.
    expect(parseStgsFrame('1,ST,     10.50,PT      2.00,         0,         0,kg', 'ad-indicator')).toMatchObject({ ok: false });
    expect(parseStgsFrame('1,ST,     10.50,PT      2.00,         0,kg')).toMatchObject({ ok: false });
    expect(parseStgsFrame('ST,1,     12.50kg,PT      2.00lb')).toMatchObject({ ok: false, reason: /a weight in kg and a tare in lb/ });
  });

  it('reads the frame, not a header that noise before it happens to hold', () => {
    // A&D, FX-i/FZ-i series instruction manual, « A&D standard format »: header (ST, US, OL, QT), comma,
    // 9-character data, unit. Noise before the frame held `OL,`: read from there, the line was an overload
    // (found by tests/fuzz/driver-fuzz.test.ts).
    expect(parseStgsFrame(Buffer.from('C8y\x00OL,%,9q\x14FXaK{ B`j4y\x12ST,+00241.47 kg', 'latin1'))).toMatchObject({ ok: true, reading: mass(241.47) });
  });

  it('ignores stray control bytes after the unit', () => {
    expect(parseStgsFrame('ST,GS,+0012.34kg\r\x00')).toMatchObject({ ok: true, reading: mass(12.34) });
  });

  it('refuses a frame of another format when one is forced', () => {
    expect(parseStgsFrame('ST,GS,+0012.34kg', 'ad-balance')).toMatchObject({ ok: false });
    expect(parseStgsFrame('ST,+00123.45  g', 'dini')).toMatchObject({ ok: false });
    expect(parseStgsFrame('UL,GS,        ,kg', 'ad-indicator')).toMatchObject({ ok: false, reason: /status UL/ });
    expect(parseStgsFrame('ST,GS,+0012.34kg', 'cas')).toMatchObject({ ok: false, reason: /CAS frame/ });
  });
});

function harness(config: ConstructorParameters<typeof StGsDriver>[1] = {}) {
  return fakeLinkHarness((transport) => new StGsDriver(transport, config));
}

const STREAM = 'ST,GS,+0012.34kg\r\nUS,+00123.45  g\r\nST,GS,1\xE4,000013.5 kg\r\n01ST,NT,   -1.25,kg\r\n';
const STREAM_READINGS = [mass(12.34), mass(0.12345, false), mass(13.5), mass(-1.25, true, true)];

describe('StGsDriver', () => {
  it('frames a stream of the four formats and reports the raw bytes printably', () => {
    const h = harness();
    h.transport.feed(STREAM);
    expect(h.readings).toEqual(STREAM_READINGS);
    expect(h.raws[2]).toBe('ST,GS,1d,000013.5 kg'); // lamp byte 0xE4, bit 7 masked
    expect(h.errors).toEqual([]);
  });

  itReadsAStreamAnyhowCut(harness, STREAM, STREAM_READINGS);

  it('loses nothing but the garbage: before, between frames, 0x00/0xFF, a power-up banner', () => {
    const h = harness();
    h.transport.feed('4.5kg\r\n'); // the tail of a frame cut by the start of the stream
    h.transport.feed('A&D AD-4329A  Ver 2.10\r\n');
    h.transport.feed('ST,GS,+0012.34kg\r\n');
    h.transport.feed(Buffer.from([0x00, 0xff, 0x0d, 0x0a]));
    h.transport.feed(Buffer.from('\x00\xFF\xFFST,GS,+0012.36kg\r\n', 'latin1'));
    h.transport.feed('\r\n'); // a blank line is nothing
    h.transport.feed('noise ST,GS,+0012.38kg\r\n');
    expect(h.readings).toEqual([mass(12.34), mass(12.36), mass(12.38)]);
    expect(h.errors.map((e) => e.raw)).toEqual(['4.5kg', 'A&D AD-4329A  Ver 2.10', '<00><7F>']);
    expect(h.errors.every((e) => /no status header/.test(e.reason))).toBe(true);
  });

  it('drops a line that never ends, reports it, and carries on', () => {
    const h = harness();
    for (let i = 0; i < 10; i++) h.transport.feed('A'.repeat(100));
    expect(h.errors).toHaveLength(3); // 300 bytes pending at 300, 600 and 900
    expect(h.errors[0]).toEqual({
      reason: 'no CR LF within 256 bytes (300 bytes dropped): wrong baud rate or line settings?',
      raw: 'A'.repeat(64),
    });
    h.transport.feed('ST,GS,+0012.34kg\r\n');
    expect(h.readings).toEqual([mass(12.34)]);
    expect(h.errors).toHaveLength(3);
  });

  it('reports the link, sends the connect command, and drops half a frame cut by a disconnect', () => {
    const h = harness({ commandOnConnect: 'SIR' });
    h.transport.emit('open');
    expect(h.sent()).toEqual(['SIR\r\n']);
    h.transport.feed('ST,GS,+00');
    h.transport.emit('close', 'disconnected: EIO');
    h.transport.emit('open');
    h.transport.feed('12.34kg\r\nST,GS,+0012.35kg\r\n');
    expect(h.readings).toEqual([mass(12.35)]);
    expect(h.errors.map((e) => e.raw)).toEqual(['12.34kg']);
    expect(h.links).toEqual([
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
    expect(h.sent()).toEqual(['Z\r\n', 'T\r\n']);
  });

  it('uses a forced format', () => {
    const h = harness({ format: 'dini' });
    h.transport.feed('ST,GS,+0012.34kg\r\nST,GS,    12.5,kg\r\n');
    expect(h.readings).toEqual([mass(12.5)]);
    expect(h.errors).toHaveLength(1);
  });

  it('asks a device that only answers requests every pollMs while the link is open, reports one that stops answering, and stops when the link closes', () => {
    vi.useFakeTimers();
    try {
      const h = harness({ request: 'REXT', pollMs: 100, replyTimeoutMs: 150 });
      h.open();
      vi.advanceTimersByTime(100);
      h.transport.feed('1,ST,     10.50,        0.00,         0,         0,kg\r\n');
      vi.advanceTimersByTime(100);
      h.transport.feed('1,ST,     10.50,        0.00,         0,         0,kg\r\n');
      expect(h.sent()).toEqual(['REXT\r\n', 'REXT\r\n']);
      expect(h.readings).toEqual([mass(10.5), mass(10.5)]);
      // A device that stops answering: one request outstanding, its timeout reported, then asked again.
      vi.advanceTimersByTime(300);
      expect(h.errors.map((e) => e.reason)).toEqual(['no reply to REXT within 150 ms']);
      expect(h.sent()).toHaveLength(4);
      h.close('disconnected: EIO');
      vi.advanceTimersByTime(1_000);
      expect(h.sent()).toHaveLength(4);
      h.open();
      vi.advanceTimersByTime(100);
      expect(h.sent()).toHaveLength(5);
    } finally {
      vi.useRealTimers();
    }
  });

  it('reads a Dini Argeo twin answering REXT: moving, then stable, then net after a tare', async () => {
    const twin = new SimulatedStgsScale({ format: 'dini', diniString: 'rext', address: 1, rng: seededRandom(4), settleMs: [60, 120] });
    const { driver, readings } = drivenByTwin((t) => new StGsDriver(t, { request: '01REXT', pollMs: 20 }), twin);
    twin.start(); // a REXT twin streams nothing: every reading answers a request
    twin.load(12.34);
    await expect.poll(() => readings().at(-1), { timeout: 5_000 }).toEqual(mass(12.34));
    expect(readings().some((r) => r.kind === 'mass' && !r.stable)).toBe(true);
    driver.command('tare');
    twin.load(7.66); // put on top of the tared 12.34 kg
    await expect.poll(() => readings().at(-1), { timeout: 5_000 }).toEqual(mass(7.66, true, true));
    await driver.stop();
  });

  it('stops listening to the transport on stop()', async () => {
    const h = harness();
    await h.driver.stop();
    h.transport.feed('ST,GS,+0012.34kg\r\n');
    expect(h.readings).toEqual([]);
    expect(h.transport.listenerCount('data')).toBe(0);
  });
});
