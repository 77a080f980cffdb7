import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeLinkHarness, itReadsAStreamAnyhowCut } from '../../../tests/helpers/scale-driver.js';
import type { ScaleReading } from '../scale.js';
import { SmaDriver } from './driver.js';
import { parseSmaReply, type SmaReply, type SmaStatus } from './parser.js';

const mass = (kg: number, stable = true, net = false): ScaleReading => ({ kind: 'mass', kg, stable, net });
const notMass = (reason: string): ScaleReading => ({ kind: 'not-mass', reason });
const weight = (reading: ScaleReading, status: SmaStatus = 'none'): SmaReply => ({ kind: 'weight', status, reading });
const OVER: ScaleReading = { kind: 'overload' };
const UNDER: ScaleReading = { kind: 'underload' };

/** [reply between LF and CR (latin1): status, range, G/N/T, motion, reserved, 10-char weight, 3-char unit; what it is]. */
const GOLDEN: Array<[string, SmaReply]> = [
  [' 1G       5.025lb ', weight(mass(2.2793))], // 5.025 lb, kept to 4 decimals of kg
  [' 1G      12.34 kg ', weight(mass(12.34))], // weight field left-padded by one: the unit still reads
  [' 1G       12.34kg ', weight(mass(12.34))],
  [' 1GM      12.34kg ', weight(mass(12.34, false))],
  [' 1N       -1.50kg ', weight(mass(-1.5, true, true))],
  [' 1NM      -0.25kg ', weight(mass(-0.25, false, true))],
  ['Z1G        0.00kg ', weight(mass(0), 'zero')],
  [' 1G       -0.00kg ', weight(mass(0))],
  [' 1G         1234g  ', weight(mass(1.234))],
  [' 1G        1.234t  ', weight(mass(1234))],
  [' 1g      5.0025lb ', weight(mass(2.269096))], // high resolution (H), gross
  [' 1n       12.345kg ', weight(mass(12.345, true, true))], // high resolution, net
  [' 2G       12.34kg ', weight(mass(12.34))], // second range of a multi-interval scale
  [' 1G       12.34kg', weight(mass(12.34))], // unit's trailing space trimmed
  [' 1G      12.34kg  ', weight(mass(12.34))], // 11-character weight field (Cardinal)
  [' 1G       12.00oz ', weight(notMass('unit "oz" is not converted'))],
  [' 1T        2.00kg ', weight(notMass('tare weight (T)'))], // the reply to M: a tare, not a load
  ['O1G      999.99kg ', weight(OVER, 'over')],
  ['O1G  ----------kg ', weight(OVER, 'over')],
  ['U1G      -12.00kg ', weight(UNDER, 'under')],
  ['E1G  ----------kg ', weight(notMass('zero error (E)'), 'zero-error')],
  ['I1G  ----------kg ', weight(notMass('initial zero error (I)'), 'initial-zero-error')],
  ['T1N  ----------kg ', weight(notMass('tare error (T)'), 'tare-error')],
  ['e1G        1.00kg ', weight(notMass('weight not displayed (e)'), 'not-displayed')],
  [' 1G  ----------   ', weight(notMass('no weight shown (dashes)'))], // no standstill in time (P, Q)
  ['?', { kind: 'unrecognized' }],
];

describe('parseSmaReply: golden replies', () => {
  it.each(GOLDEN)('%j', (body, reply) => {
    const result = parseSmaReply(body);
    expect(result).toEqual({ ok: true, reply });
    // Parity bits masked, line-break bytes after the unit: the same reply.
    expect(parseSmaReply(Buffer.from(Buffer.from(body, 'latin1').map((b) => b | 0x80)))).toEqual(result);
    expect(parseSmaReply(Buffer.from(`${body}\x00\xFF`, 'latin1'))).toEqual(result);
  });

  it.each<[string, string | Buffer, RegExp]>([
    ['an empty frame', '', /too short/],
    ['a cut frame', ' 1G ', /too short/],
    ['line-break garbage only', Buffer.from([0x00, 0xff, 0x00]), /too short/],
    ['an unknown status', 'X1G       12.34kg ', /unknown status "X"/],
    ['a range that is not a digit', ' XG       12.34kg ', /range "X"/],
    ['an unknown gross/net flag', ' 1Q       12.34kg ', /gross\/net flag "Q"/],
    ['an unknown motion flag', ' 1GX      12.34kg ', /motion flag "X"/],
    ['a weight without a unit', ' 1G       12.34   ', /no unit/],
    ['a weight that is not a number', ' 1G       12,34kg ', /not a number/],
    ['an About reply', 'SMA:1/1.0', /unknown status "S"/],
    ['a power-up line', 'ACME SCALE V1.00', /unknown status "A"/],
  ])('reports %s as a frame error', (_name, body, reason) => {
    const result = parseSmaReply(body);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });
});

function harness(config: ConstructorParameters<typeof SmaDriver>[1] = {}) {
  return fakeLinkHarness((transport) => new SmaDriver(transport, config));
}

const W = '\nW\r';
const frame = (body: string): string => `\n${body}\r`;
const STREAM = [' 1G       12.34kg ', ' 1GM      12.30kg ', ' 1N       -1.50kg ', 'O1G  ----------kg ', 'E1G  ----------kg ', ' 1G      1.234t  ']
  .map(frame)
  .join('');
const STREAM_READINGS: ScaleReading[] = [mass(12.34), mass(12.3, false), mass(-1.5, true, true), OVER, notMass('zero error (E)'), mass(1234)];

describe('SmaDriver: framing', () => {
  it('frames replies from LF to CR and reports the raw bytes printably', () => {
    const h = harness();
    h.transport.feed(STREAM);
    expect(h.readings).toEqual(STREAM_READINGS);
    expect(h.raws[0]).toBe(' 1G       12.34kg ');
    expect(h.errors).toEqual([]);
  });

  itReadsAStreamAnyhowCut(harness, STREAM, STREAM_READINGS);

  it('reads replies ended CR LF too: the LF only starts an empty frame', () => {
    const h = harness();
    h.transport.feed(`${frame(' 1G       12.34kg ')}\n${frame(' 1G       12.35kg ')}\n`);
    expect(h.readings).toEqual([mass(12.34), mass(12.35)]);
    expect(h.errors).toEqual([]);
  });

  it('loses nothing but the garbage: before, between frames, 0x00/0xFF, a power-up line, a cut frame', () => {
    const h = harness();
    h.transport.feed('4kg \r'); // the tail of a reply cut by the start of the link
    h.transport.feed('ACME SCALE V1.00\r\n'); // a power-up line: its LF starts an empty frame
    h.transport.feed(frame(' 1G       12.34kg '));
    h.transport.feed(Buffer.from([0x00, 0xff]));
    h.transport.feed(frame(' 1G       12.36kg '));
    h.transport.feed(frame('')); // an empty frame is nothing
    h.transport.feed(`\n 1G      12${frame(' 1G       12.38kg ')}`); // cut short by the next LF
    expect(h.readings).toEqual([mass(12.34), mass(12.36), mass(12.38)]);
    expect(h.errors).toEqual([
      { reason: 'bytes outside a frame (before LF)', raw: '4kg <0D>ACME SCALE V1.00<0D>' },
      { reason: 'bytes outside a frame (before LF)', raw: '<00><7F>' },
      { reason: 'frame cut short by the start of another', raw: ' 1G      12' },
    ]);
  });

  it('drops a frame that never ends, or garbage that never stops, reports it, and carries on', () => {
    const h = harness();
    h.transport.feed('\n');
    for (let i = 0; i < 5; i++) h.transport.feed('A'.repeat(100));
    expect(h.errors[0]).toEqual({
      reason: 'no CR within 128 bytes (200 bytes dropped): wrong baud rate or line settings?',
      raw: 'A'.repeat(64),
    });
    // Once dropped, the bytes are outside any frame until the next LF.
    for (let i = 0; i < 4; i++) h.transport.feed('B'.repeat(100));
    expect(h.errors.at(-1)!.reason).toMatch(/^no LF within 128 bytes/);
    const errorCount = h.errors.length;
    h.transport.feed(frame(' 1G       12.34kg '));
    expect(h.readings).toEqual([mass(12.34)]);
    expect(h.errors).toHaveLength(errorCount + 1); // the bytes left before the LF
  });
});

describe('SmaDriver: polling', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('asks <LF>W<CR> every pollMs with never more than one request outstanding', () => {
    const h = harness();
    h.open();
    expect(h.sent()).toEqual([]);
    vi.advanceTimersByTime(200);
    expect(h.sent()).toEqual([W]);
    vi.advanceTimersByTime(600); // no reply yet
    expect(h.sent()).toEqual([W]);
    h.transport.feed(frame(' 1GM      1.00kg '));
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(200);
      h.transport.feed(frame(' 1G        1.00kg '));
    }
    expect(h.sent()).toEqual(Array(11).fill(W));
    expect(h.readings).toHaveLength(11);
    expect(h.errors).toEqual([]);
  });

  it('counts a reply timeout as an error and asks again, for as long as the scale is silent', () => {
    const h = harness({ replyTimeoutMs: 500 });
    h.open();
    vi.advanceTimersByTime(3_000);
    // W at 200, timeout at 700, W at 800, timeout at 1300, …
    expect(h.sent()).toEqual(Array(5).fill(W));
    expect(h.errors).toHaveLength(4);
    expect(h.errors[0]).toEqual({ reason: 'no reply to <LF>W<CR> within 500 ms', raw: '' });
    h.transport.feed(frame(' 1G        2.00kg '));
    expect(h.readings).toEqual([mass(2)]);
  });

  it('zeroes and tares before the next weight request, and reads their replies', () => {
    const h = harness();
    h.open();
    vi.advanceTimersByTime(200);
    h.driver.command('tare');
    expect(h.sent()).toEqual([W]); // one request at a time
    h.transport.feed(frame(' 1G        2.50kg '));
    expect(h.sent()).toEqual([W, '\nT\r']);
    vi.advanceTimersByTime(1_500); // taring waits for standstill: no timeout yet
    expect(h.errors).toEqual([]);
    h.transport.feed(frame('Z1N        0.00kg '));
    h.driver.command('zero');
    h.transport.feed(frame('Z1G        0.00kg '));
    expect(h.sent()).toEqual([W, '\nT\r', '\nZ\r']);
    expect(h.readings).toEqual([mass(2.5), mass(0, true, true), mass(0)]);
  });

  it('reports a refused, unknown or unanswered command, and polls on', () => {
    const h = harness({ commandTimeoutMs: 3_000 });
    h.open();
    h.driver.command('tare');
    h.transport.feed(frame('T1N  ----------kg '));
    h.driver.command('zero');
    h.transport.feed(frame('E1G  ----------kg '));
    h.driver.command('tare');
    h.transport.feed(frame('?'));
    h.driver.command('zero');
    vi.advanceTimersByTime(3_000);
    expect(h.errors.map((e) => e.reason)).toEqual([
      'tare not done: tare error (T)',
      'zero not done: zero error (E)',
      'the scale did not recognise <LF>T<CR> (?)',
      'no reply to <LF>Z<CR> within 3000 ms',
    ]);
    expect(h.readings).toEqual([]);
    vi.advanceTimersByTime(200);
    expect(h.sent().at(-1)).toBe(W);
  });

  it('drops half a frame cut by a disconnect and stops asking while closed', () => {
    const h = harness();
    h.open();
    vi.advanceTimersByTime(200);
    h.transport.feed('\n 1G    ');
    h.close('disconnected: EIO');
    vi.advanceTimersByTime(2_000);
    expect(h.sent()).toEqual([W]);
    h.open();
    h.transport.feed('   12.34kg \r'); // the rest of the old frame: outside any frame now
    vi.advanceTimersByTime(200);
    h.transport.feed(frame(' 1G       12.35kg '));
    expect(h.readings).toEqual([mass(12.35)]);
    expect(h.errors).toEqual([{ reason: 'bytes outside a frame (before LF)', raw: '   12.34kg <0D>' }]);
    expect(h.links).toEqual([
      ['connecting', 'fake'],
      ['open', 'fake'],
      ['closed', 'disconnected: EIO'],
      ['open', 'fake'],
    ]);
  });

  it('stops listening and asking on stop()', async () => {
    const h = harness();
    h.open();
    await h.driver.stop();
    vi.advanceTimersByTime(2_000);
    h.transport.feed(frame(' 1G       12.34kg '));
    expect(h.sent()).toEqual([]);
    expect(h.readings).toEqual([]);
    expect(h.transport.listenerCount('data')).toBe(0);
  });
});
