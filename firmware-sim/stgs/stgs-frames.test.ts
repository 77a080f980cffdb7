import { describe, expect, it } from 'vitest';
import type { StgsFrameFormat } from '../../edge-agent/drivers/stgs/config.js';
import { parseStgsFrame } from '../../edge-agent/drivers/stgs/parser.js';
import type { ScaleReading } from '../../edge-agent/drivers/scale.js';
import { isMassUnit, toKg } from '../../protocol/units.js';
import { withParity } from '../common/parity.js';
import { seededRandom } from '../common/sim-device.js';
import { encodeDiniExtended, encodeStgsFrame, type StgsFrameFields } from './stgs-frames.js';

const FORMATS: StgsFrameFormat[] = ['ad-balance', 'ad-indicator', 'cas', 'dini'];

/** What the parser must make of the fields: the contract of the round trip. */
function expected(fields: StgsFrameFields): ScaleReading {
  const { status, mode = 'gross', value = 0, unit = 'kg', decimals = 2 } = fields;
  if (status === 'overload' || status === 'underload') return { kind: status };
  if (status === 'counting' || status === 'not-level' || mode === 'tare' || !isMassUnit(unit)) {
    return { kind: 'not-mass', reason: expect.any(String) as unknown as string };
  }
  const kg = toKg(value, unit, decimals);
  return { kind: 'mass', kg: kg === 0 ? 0 : kg, stable: status === 'stable', net: mode === 'net' };
}

function roundTrip(format: StgsFrameFormat, fields: StgsFrameFields): void {
  const frame = encodeStgsFrame(format, fields);
  expect(frame.subarray(-2).toString()).toBe('\r\n');
  const line = frame.subarray(0, -2);
  const reading = expected(fields);
  expect(parseStgsFrame(line), `${format} ${JSON.stringify(fields)}`).toEqual({ ok: true, reading, format });
  expect(parseStgsFrame(line, format)).toEqual({ ok: true, reading, format });
  expect(parseStgsFrame(withParity(line, 'even'))).toEqual({ ok: true, reading, format });
  expect(parseStgsFrame(withParity(line, 'odd'))).toEqual({ ok: true, reading, format });
}

describe('encodeStgsFrame', () => {
  it('lays out each format as the manuals do', () => {
    const s = (b: Buffer) => b.toString('latin1');
    expect(s(encodeStgsFrame('ad-balance', { status: 'stable', value: 123.45, unit: 'g' }))).toBe('ST,+00123.45  g\r\n');
    expect(s(encodeStgsFrame('ad-indicator', { status: 'stable', mode: 'net', value: 12.34 }))).toBe('ST,NT,+0012.34kg\r\n');
    expect(s(encodeStgsFrame('cas', { status: 'stable', value: 13.5, decimals: 1 }))).toBe('ST,GS,1\xE4,000013.5 kg\r\n');
    expect(s(encodeStgsFrame('dini', { status: 'unstable', value: 0, decimals: 1, address: 1 }))).toBe('01US,GS,     0.0,kg\r\n');
    // Frame lengths of the manuals: A&D indicator 18 bytes, CAS 22 bytes.
    expect(encodeStgsFrame('ad-indicator', { status: 'stable', value: 1 })).toHaveLength(18);
    expect(encodeStgsFrame('cas', { status: 'unstable', value: -1.5 })).toHaveLength(22);
  });

  it('lays out the Dini extended strings as the 3590E manual does, and the parser reads them back', () => {
    const s = (b: Buffer) => b.toString('latin1');
    // E-AF03_05.01_14.07_EN_T p. 65 (AF) and p. 69 (REXT): weights and tare on 10 characters, units on 2.
    expect(s(encodeDiniExtended('af', { status: 'stable', value: 10.5, tare: 2, presetTare: true }))).toBe('ST,1,     12.50kg,PT      2.00kg\r\n');
    expect(s(encodeDiniExtended('rext', { status: 'unstable', value: 10.5, tare: 2, address: 3 }))).toBe('031,US,     10.50,        2.00,         0,         0,kg\r\n');
    const random = seededRandom(11);
    for (let i = 0; i < 300; i++) {
      const kind = random() < 0.5 ? 'af' : 'rext';
      const decimals = Math.floor(random() * 4);
      const tare = random() < 0.5 ? 0 : Number((random() * 50).toFixed(decimals));
      const value = Number(((random() - 0.2) * 1000).toFixed(decimals));
      const status = random() < 0.7 ? 'stable' : 'unstable';
      const unit = (['kg', 'g', 'lb', 't'] as const)[Math.floor(random() * 4)]!;
      const line = encodeDiniExtended(kind, { status, value, tare, decimals, unit }).subarray(0, -2);
      const kg = toKg(value, unit, decimals);
      expect(parseStgsFrame(line), s(line)).toEqual({ ok: true, format: 'dini', reading: { kind: 'mass', kg: kg === 0 ? 0 : kg, stable: status === 'stable', net: tare !== 0 } });
    }
  });

  it('refuses what a format cannot say', () => {
    expect(() => encodeStgsFrame('ad-balance', { status: 'stable', mode: 'net', value: 1 })).toThrow(RangeError);
    expect(() => encodeStgsFrame('dini', { status: 'counting', value: 1 })).toThrow(RangeError);
    expect(() => encodeStgsFrame('ad-indicator', { status: 'stable', value: 123456789 })).toThrow(/does not fit/);
  });

  it('sets even and odd parity in bit 7', () => {
    expect([...withParity(Buffer.from('\r\nAC'), 'even')]).toEqual([0x8d, 0x0a, 0x41, 0xc3]);
    expect([...withParity(Buffer.from('\r\nAC'), 'odd')]).toEqual([0x0d, 0x8a, 0xc1, 0x43]);
  });

  describe.each(FORMATS)('%s round trip', (format) => {
    const cases: StgsFrameFields[] = [
      { status: 'stable', value: 12.34 },
      { status: 'unstable', value: 12.3 },
      { status: 'stable', value: -1.5 },
      { status: 'stable', value: 0 },
      { status: 'stable', value: 1234, unit: 'g', decimals: 0 },
      { status: 'stable', value: 0.125, unit: 't', decimals: 3 },
      { status: 'stable', value: 30.5, unit: 'lb', decimals: 1 },
      { status: 'overload' },
    ];
    if (format !== 'ad-balance') cases.push({ status: 'stable', mode: 'net', value: 7.5 }, { status: 'unstable', mode: 'net', value: -0.25 });
    if (format === 'ad-indicator' || format === 'cas') cases.push({ status: 'stable', mode: 'tare', value: 2 });
    if (format === 'ad-balance' || format === 'dini') cases.push({ status: 'underload' });
    if (format !== 'dini') cases.push({ status: 'counting', value: 42 });
    if (format === 'dini') cases.push({ status: 'not-level', value: 3 });

    it.each(cases)('%j', (fields) => roundTrip(format, fields));

    it('random weights', () => {
      const rng = seededRandom(42);
      for (let i = 0; i < 500; i++) {
        const decimals = Math.floor(rng() * 4);
        // Up to ±180 in the unit: the widest value every layout holds with 3 decimals.
        const value = Math.round((rng() * 2 - 0.2) * 99.9 * 10 ** decimals) / 10 ** decimals;
        roundTrip(format, {
          status: rng() < 0.5 ? 'stable' : 'unstable',
          mode: format === 'ad-balance' || rng() < 0.5 ? 'gross' : 'net',
          value,
          decimals,
          unit: (['kg', 'g', 't', 'lb'] as const)[Math.floor(rng() * 4)]!,
          deviceId: Math.floor(rng() * 10),
          address: rng() < 0.5 ? Math.floor(rng() * 100) : undefined,
        });
      }
    });
  });
});
