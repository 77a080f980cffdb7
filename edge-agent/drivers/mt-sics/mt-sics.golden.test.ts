import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeLinkHarness, itReadsAStreamAnyhowCut } from '../../../tests/helpers/scale-driver.js';
import type { ScaleReading } from '../scale.js';
import { MtSicsDriver } from './driver.js';
import { parseMtSicsReply, type MtSicsReply } from './parser.js';

const mass = (kg: number, stable = true): ScaleReading => ({ kind: 'mass', kg, stable, net: false });
const netMass = (kg: number, tareKg: number, stable = true): ScaleReading => ({ kind: 'mass', kg, stable, net: true, tareKg });
const notMass = (reason: string): ScaleReading => ({ kind: 'not-mass', reason });
const reading = (r: ScaleReading): MtSicsReply => ({ kind: 'reading', id: 'S', reading: r });
const BUSY = notMass('balance busy or not stable in time (S I)');

/** [reply line without CR LF (latin1), what it is]. */
const GOLDEN: Array<[string, MtSicsReply]> = [
  ['S S     12.345 kg', reading(mass(12.345))],
  ['S D     12.340 kg', reading(mass(12.34, false))],
  ['S S      -1.20 kg', reading(mass(-1.2))],
  ['S S      -0.00 kg', reading(mass(0))],
  ['S S       1234 g', reading(mass(1.234))],
  ['S S     100.00 g', reading(mass(0.1))],
  ['S S      1.234 t', reading(mass(1234))],
  ['S S     12.345 lb', reading(mass(5.5996))], // 12.345 lb, kept to 4 decimals of kg
  ['S D      30.50 lb', reading(mass(13.8346, false))],
  ['S S 12.345 kg', reading(mass(12.345))], // single spaces
  ['S  S\t  12.345   kg  ', reading(mass(12.345))], // any run of whitespace
  ['S S         42 PCS', reading(notMass('counting mode (pcs)'))],
  ['S S      50.00 %', reading(notMass('percent mode'))],
  ['S S      12.00 oz', reading(notMass('unit "oz" is not converted'))],
  ['S S     123.45 mg', reading(notMass('unit "mg" is not converted'))],
  ['S I', reading(BUSY)],
  ['S +', reading({ kind: 'overload' })],
  ['S -', reading({ kind: 'underload' })],
  ['T S       2.50 kg', { kind: 'tare', id: 'T', tareKg: 2.5 }],
  ['T S        500 g', { kind: 'tare', id: 'T', tareKg: 0.5 }],
  ['Z A', { kind: 'zeroed', id: 'Z' }],
  ['Z I', { kind: 'refused', id: 'Z', reason: 'zero not done: balance busy or not stable in time (Z I)' }],
  ['Z +', { kind: 'refused', id: 'Z', reason: 'zero not done: above the zeroing range (Z +)' }],
  ['Z -', { kind: 'refused', id: 'Z', reason: 'zero not done: below the zeroing range (Z -)' }],
  ['T I', { kind: 'refused', id: 'T', reason: 'tare not done: balance busy or not stable in time (T I)' }],
  ['T +', { kind: 'refused', id: 'T', reason: 'tare not done: above the taring range (T +)' }],
  ['T -', { kind: 'refused', id: 'T', reason: 'tare not done: below the taring range (T -)' }],
  ['I4 A "B123456789"', { kind: 'identification', id: 'I4', serial: 'B123456789' }],
  ['I4 A "SN 12 34"', { kind: 'identification', id: 'I4', serial: 'SN 12 34' }],
  ['ES', { kind: 'error', id: 'ES', reason: 'syntax error: the balance did not recognise the command (ES)' }],
  ['ET', { kind: 'error', id: 'ET', reason: 'transmission error: the balance received a garbled command (ET)' }],
  ['EL', { kind: 'error', id: 'EL', reason: 'logical error: the balance cannot run the command now (EL)' }],
];

describe('parseMtSicsReply: golden replies', () => {
  it.each(GOLDEN)('%j', (line, reply) => {
    const result = parseMtSicsReply(line);
    expect(result).toEqual({ ok: true, reply });
    // Parity bits masked, line-break bytes around the line: the same reply.
    expect(parseMtSicsReply(Buffer.from(Buffer.from(line, 'latin1').map((b) => b | 0x80)))).toEqual(result);
    expect(parseMtSicsReply(Buffer.from(`\x00\xFF${line}\x00`, 'latin1'))).toEqual(result);
  });

  it('never returns -0', () => {
    const r = parseMtSicsReply('S S      -0.00 kg');
    expect(r.ok && r.reply.kind === 'reading' && r.reply.reading.kind === 'mass' && Object.is(r.reply.reading.kg, 0)).toBe(true);
  });

  it.each<[string, string | Buffer, RegExp]>([
    ['an empty line', '', /empty reply/],
    ['line-break garbage only', Buffer.from([0x00, 0xff, 0x00]), /empty reply/],
    ['a weight reply without a status', 'S', /without a status/],
    ['an unknown weight status', 'S X 1.00 kg', /unknown weight status "X"/],
    ['a weight without a unit', 'S S 12.34', /no unit/],
    ['a stable status without a weight', 'S S', /no weight/],
    ['a weight that is not a number', 'S S 12,34 kg', /not a number/],
    ['a sign apart from its digits', 'S S - 12.34 kg', /unexpected fields/],
    ['an overflow filler', 'S S 9999999E+19 kg', /not a number/],
    ['a tare that is not a mass', 'T S 12 PCS', /tare reply/],
    ['an unknown zero status', 'Z X', /unknown Z status/],
    ['a reply this driver does not ask for', 'TA A 1.00 kg', /unexpected reply "TA"/],
    ['a partial line', '345 kg', /unexpected reply "345"/],
    ['a power-up line of another kind', 'METTLER TOLEDO  PBA430', /unexpected reply/],
  ])('reports %s as a frame error', (_name, line, reason) => {
    const result = parseMtSicsReply(line);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });
});

function harness(config: ConstructorParameters<typeof MtSicsDriver>[1] = {}) {
  return fakeLinkHarness((transport) => new MtSicsDriver(transport, config));
}

const STREAM =
  'S S     12.345 kg\r\nS D      1.50 kg\r\nS I\r\nS +\r\nS -\r\n' +
  'S S       1234 g\r\nS S     12.345 lb\r\nI4 A "B1"\r\nS D      -0.25 kg\r\n';
const STREAM_READINGS: ScaleReading[] = [
  mass(12.345),
  mass(1.5, false),
  BUSY,
  { kind: 'overload' },
  { kind: 'underload' },
  mass(1.234),
  mass(5.5996),
  mass(-0.25, false),
];

describe('parseMtSicsReply: noise before a reply on its line', () => {
  // METTLER TOLEDO, MT-SICS Interface Command Set (Reference Manual for Excellence and Standard balances),
  // command S: the reply « S S WeightValue Unit », fields separated by spaces. A glitch before it on the
  // same line (XON/XOFF, a half byte, a power-up banner without CR LF) must not cost the reply.
  it.each<[string, MtSicsReply]>([
    ['\x13\x11S S     12.345 kg', reading(mass(12.345))],
    ['#x9S S     12.345 kg', reading(mass(12.345))],
    ['XS S     12.345 kg', reading(mass(12.345))], // noise ending in a letter, glued to the reply
    ['Z?@S D     12.340 kg', reading(mass(12.34, false))],
    ['garbage S +', reading({ kind: 'overload' })],
    ['\x7f~~T S       2.50 kg', { kind: 'tare', id: 'T', tareKg: 2.5 }],
    ['%%ES', { kind: 'error', id: 'ES', reason: 'syntax error: the balance did not recognise the command (ES)' }],
  ])('%j', (line, reply) => {
    expect(parseMtSicsReply(line)).toEqual({ ok: true, reply });
  });

  it('still refuses a line with no reply in it', () => {
    expect(parseMtSicsReply('xyzzy 12.3')).toEqual({ ok: false, reason: 'unexpected reply "xyzzy"' });
  });
});

describe('MtSicsDriver: framing', () => {
  it('frames replies on CR LF and reports the raw bytes printably', () => {
    const h = harness();
    h.transport.feed(STREAM);
    expect(h.readings).toEqual(STREAM_READINGS);
    expect(h.raws[0]).toBe('S S     12.345 kg');
    expect(h.errors).toEqual([]);
    expect(h.driver.serialNumber).toBe('B1');
  });

  itReadsAStreamAnyhowCut(harness, STREAM, STREAM_READINGS);

  it('loses nothing but the garbage: before, between frames, 0x00/0xFF, a power-up line', () => {
    const h = harness();
    h.transport.feed('45 kg\r\n'); // the tail of a reply cut by the start of the link
    h.transport.feed('I4 A "B0123456"\r\n'); // the power-up line: no reading, no error
    h.transport.feed('S S      12.34 kg\r\n');
    h.transport.feed(Buffer.from([0x00, 0xff, 0x0d, 0x0a]));
    h.transport.feed(Buffer.from('\x00\xFF\xFFS S      12.36 kg\r\n', 'latin1'));
    h.transport.feed('\r\n'); // a blank line is nothing
    h.transport.feed('noise\r\nS S      12.38 kg\r\n');
    expect(h.readings).toEqual([mass(12.34), mass(12.36), mass(12.38)]);
    expect(h.errors.map((e) => e.raw)).toEqual(['45 kg', '<00><7F>', 'noise']);
    expect(h.driver.serialNumber).toBe('B0123456');
  });

  it('drops a line that never ends, reports it, and carries on', () => {
    const h = harness();
    for (let i = 0; i < 10; i++) h.transport.feed('A'.repeat(100));
    expect(h.errors).toHaveLength(3); // 300 bytes pending at 300, 600 and 900
    expect(h.errors[0]).toEqual({
      reason: 'no CR LF within 256 bytes (300 bytes dropped): wrong baud rate or line settings?',
      raw: 'A'.repeat(64),
    });
    h.transport.feed('\r\nS S      12.34 kg\r\n');
    expect(h.readings).toEqual([mass(12.34)]);
    expect(h.errors).toHaveLength(4); // the 100 bytes left before the CR LF
  });
});

describe('MtSicsDriver: polling', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('resets on connect, then asks SI every pollMs with never more than one request outstanding', () => {
    const h = harness();
    h.open();
    expect(h.sent()).toEqual(['@\r\n']);
    vi.advanceTimersByTime(500); // no reply to @ yet: nothing else goes out
    expect(h.sent()).toEqual(['@\r\n']);
    h.transport.feed('I4 A "B1"\r\n');
    expect(h.driver.serialNumber).toBe('B1');
    vi.advanceTimersByTime(100); // the 600 ms tick
    expect(h.sent()).toEqual(['@\r\n', 'SI\r\n']);
    vi.advanceTimersByTime(600); // still waiting for the reply
    expect(h.sent()).toHaveLength(2);
    h.transport.feed('S D      1.00 kg\r\n');
    vi.advanceTimersByTime(200);
    expect(h.sent()).toEqual(['@\r\n', 'SI\r\n', 'SI\r\n']);
    h.transport.feed('S S      1.00 kg\r\n');
    expect(h.readings).toEqual([mass(1, false), mass(1)]);
    // Replying at once, the balance is asked once a period.
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(200);
      h.transport.feed('S S      1.00 kg\r\n');
    }
    expect(h.sent()).toHaveLength(13);
    expect(h.errors).toEqual([]);
  });

  it('counts a reply timeout as an error and asks again, for as long as the balance is silent', () => {
    const h = harness({ resetOnConnect: false });
    h.open();
    vi.advanceTimersByTime(5_000);
    // SI at 200, timeout at 1200, SI at 1400, … : one outstanding at a time.
    expect(h.sent()).toEqual(Array(5).fill('SI\r\n'));
    expect(h.errors).toHaveLength(4);
    expect(h.errors[0]).toEqual({ reason: 'no reply to SI within 1000 ms', raw: '' });
    h.transport.feed('S S      2.00 kg\r\n'); // it speaks again
    expect(h.readings).toEqual([mass(2)]);
  });

  it('reports error replies against the command they answer, and goes on without waiting for a timeout', () => {
    const h = harness({ resetOnConnect: false });
    h.open();
    vi.advanceTimersByTime(200);
    h.transport.feed('ET\r\n');
    expect(h.errors).toEqual([{ reason: 'SI not taken: transmission error: the balance received a garbled command (ET)', raw: 'ET' }]);
    vi.advanceTimersByTime(200);
    expect(h.sent()).toEqual(['SI\r\n', 'SI\r\n']);
    h.transport.feed('S S      1.00 kg\r\nES\r\n'); // an error with nothing outstanding
    expect(h.errors[1]!.reason).toMatch(/^syntax error/);
  });

  it('tares: queues T behind the outstanding SI, then reads net with the tare until a zero', () => {
    const h = harness({ resetOnConnect: false });
    h.open();
    vi.advanceTimersByTime(200);
    h.driver.command('tare');
    expect(h.sent()).toEqual(['SI\r\n']); // one request at a time
    h.transport.feed('S S       2.50 kg\r\n');
    expect(h.sent()).toEqual(['SI\r\n', 'T\r\n']);
    vi.advanceTimersByTime(1_500); // taring waits for stability: no timeout yet, no SI meanwhile
    expect(h.errors).toEqual([]);
    expect(h.sent()).toHaveLength(2);
    h.transport.feed('T S       2.50 kg\r\n');
    vi.advanceTimersByTime(200);
    h.transport.feed('S S      10.00 kg\r\n');
    expect(h.readings.at(-1)).toEqual(netMass(10, 2.5));

    h.driver.command('zero');
    vi.advanceTimersByTime(200);
    h.transport.feed('Z A\r\n');
    vi.advanceTimersByTime(200);
    h.transport.feed('S S       0.00 kg\r\n');
    expect(h.readings.at(-1)).toEqual(mass(0));
    expect(h.sent().filter((w) => w !== 'SI\r\n')).toEqual(['T\r\n', 'Z\r\n']);
    expect(h.errors).toEqual([]);
  });

  it('reports a refused or unanswered command, and polls on', () => {
    const h = harness({ resetOnConnect: false, commandTimeoutMs: 3_000 });
    h.open();
    h.driver.command('tare'); // nothing outstanding: at once
    h.transport.feed('T I\r\n');
    h.driver.command('zero');
    h.transport.feed('Z +\r\n');
    h.driver.command('tare');
    vi.advanceTimersByTime(3_000);
    expect(h.errors.map((e) => e.reason)).toEqual([
      'tare not done: balance busy or not stable in time (T I)',
      'zero not done: above the zeroing range (Z +)',
      'no reply to T within 3000 ms',
    ]);
    vi.advanceTimersByTime(200);
    expect(h.sent().at(-1)).toBe('SI\r\n');
  });

  it('forgets the tare when the balance restarts, is reset, or the link drops', () => {
    const h = harness({ resetOnConnect: false });
    h.open();
    const tare = () => {
      h.driver.command('tare');
      h.transport.feed('T S       1.00 kg\r\nS S       3.00 kg\r\n');
      expect(h.readings.at(-1)).toEqual(netMass(3, 1));
    };
    tare();
    h.transport.feed('I4 A "B1"\r\nS S       3.00 kg\r\n'); // power-up line
    expect(h.readings.at(-1)).toEqual(mass(3));
    tare();
    h.close('disconnected');
    h.open();
    h.transport.feed('S S       3.00 kg\r\n');
    expect(h.readings.at(-1)).toEqual(mass(3));
  });

  it('drops half a line cut by a disconnect, stops asking while closed, and resets again on reopen', () => {
    const h = harness();
    h.open();
    h.transport.feed('I4 A "B1"\r\nS S     ');
    h.close('disconnected: EIO');
    vi.advanceTimersByTime(2_000);
    expect(h.sent()).toEqual(['@\r\n']);
    expect(h.errors).toEqual([]);
    h.open();
    expect(h.sent()).toEqual(['@\r\n', '@\r\n']);
    h.transport.feed('12.34 kg\r\nI4 A "B1"\r\n');
    vi.advanceTimersByTime(200);
    h.transport.feed('S S      12.35 kg\r\n');
    expect(h.readings).toEqual([mass(12.35)]);
    expect(h.errors.map((e) => e.raw)).toEqual(['12.34 kg']);
    expect(h.links).toEqual([
      ['connecting', 'fake'],
      ['open', 'fake'],
      ['closed', 'disconnected: EIO'],
      ['open', 'fake'],
    ]);
  });

  it('stops listening and asking on stop()', async () => {
    const h = harness({ resetOnConnect: false });
    h.open();
    await h.driver.stop();
    vi.advanceTimersByTime(2_000);
    h.transport.feed('S S      12.34 kg\r\n');
    expect(h.sent()).toEqual([]);
    expect(h.readings).toEqual([]);
    expect(h.transport.listenerCount('data')).toBe(0);
  });
});

describe('MtSicsDriver: stream mode', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends SIR once on open, reads what comes, and sends it again after silence', () => {
    const h = harness({ mode: 'stream' });
    h.open();
    h.transport.feed('I4 A "B1"\r\n');
    expect(h.sent()).toEqual(['@\r\n', 'SIR\r\n']);
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(100);
      h.transport.feed(`S D      ${(1 + i / 100).toFixed(2)} kg\r\n`);
    }
    expect(h.readings).toHaveLength(20);
    expect(h.sent()).toHaveLength(2); // no polling while it streams
    vi.advanceTimersByTime(1_200); // silence: SIR again, no error yet
    expect(h.sent()).toEqual(['@\r\n', 'SIR\r\n', 'SIR\r\n']);
    expect(h.errors).toEqual([]);
    vi.advanceTimersByTime(1_000); // still silent: that SIR went unanswered
    expect(h.errors).toEqual([{ reason: 'no reply to SIR within 1000 ms', raw: '' }]);
    h.transport.feed('S S       1.19 kg\r\n');
    expect(h.readings.at(-1)).toEqual(mass(1.19));
  });

  it('sends a command between streamed lines and SIR again after its reply, or after a restart', () => {
    const h = harness({ mode: 'stream', resetOnConnect: false });
    h.open();
    h.transport.feed('S S       2.00 kg\r\n');
    h.driver.command('tare');
    h.transport.feed('S S       2.00 kg\r\nT S       2.00 kg\r\nS S       0.00 kg\r\n');
    expect(h.sent()).toEqual(['SIR\r\n', 'T\r\n', 'SIR\r\n']);
    expect(h.readings).toEqual([mass(2), mass(2), netMass(0, 2)]);
    h.transport.feed('S S       0.00 kg\r\nI4 A "B1"\r\n'); // restarted: SIR is gone, and so is the tare
    expect(h.sent()).toEqual(['SIR\r\n', 'T\r\n', 'SIR\r\n', 'SIR\r\n']);
    h.transport.feed('S S       0.00 kg\r\n');
    expect(h.readings.at(-1)).toEqual(mass(0));
  });
});
