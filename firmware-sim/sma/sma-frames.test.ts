import { describe, expect, it } from 'vitest';
import { parseSmaReply, type SmaReply, type SmaStatus } from '../../edge-agent/drivers/sma/parser.js';
import type { ScaleReading } from '../../edge-agent/drivers/scale.js';
import { isMassUnit, toKg } from '../../protocol/units.js';
import { withParity } from '../common/parity.js';
import { seededRandom } from '../common/sim-device.js';
import { encodeSmaCommand, encodeSmaReply, encodeSmaUnrecognized, type SmaReplyFields } from './sma-frames.js';

const notMass: ScaleReading = { kind: 'not-mass', reason: expect.any(String) as unknown as string };

/** What the parser must make of the fields: the contract of the round trip. */
function expected(fields: SmaReplyFields): SmaReply {
  const { status = 'none', mode = 'gross', motion = false, value, unit = 'kg', decimals = 2 } = fields;
  const weight = (reading: ScaleReading): SmaReply => ({ kind: 'weight', status, reading });
  if (status === 'over') return weight({ kind: 'overload' });
  if (status === 'under') return weight({ kind: 'underload' });
  if (status !== 'none' && status !== 'zero') return weight(notMass);
  if (value === undefined || mode === 'tare' || !isMassUnit(unit)) return weight(notMass);
  const kg = toKg(Number(value.toFixed(decimals)), unit, decimals);
  return weight({ kind: 'mass', kg: kg === 0 ? 0 : kg, stable: !motion, net: mode === 'net' });
}

function roundTrip(fields: SmaReplyFields): void {
  const frame = encodeSmaReply(fields);
  expect(frame[0]).toBe(0x0a);
  expect(frame.at(-1)).toBe(0x0d);
  const body = frame.subarray(1, -1);
  const reply = expected(fields);
  expect(parseSmaReply(body), JSON.stringify(fields)).toEqual({ ok: true, reply });
  expect(parseSmaReply(withParity(body, 'even'))).toEqual({ ok: true, reply });
  expect(parseSmaReply(withParity(body, 'odd'))).toEqual({ ok: true, reply });
}

const STATUSES: SmaStatus[] = ['none', 'zero', 'over', 'under', 'zero-error', 'initial-zero-error', 'tare-error', 'not-displayed'];

describe('encodeSmaReply', () => {
  it('lays out the standard reply: status, range, G/N/T, motion, reserved, 10-char weight, 3-char unit', () => {
    const s = (f: SmaReplyFields) => encodeSmaReply(f).toString('latin1');
    expect(s({ value: 5.025, unit: 'lb', decimals: 3 })).toBe('\n 1G       5.025lb \r');
    expect(s({ mode: 'net', motion: true, value: -1.5 })).toBe('\n 1NM      -1.50kg \r');
    expect(s({ status: 'zero', value: 0, unit: 'lb', decimals: 3 })).toBe('\nZ1G       0.000lb \r');
    expect(s({ highResolution: true, value: 5.0025, unit: 'lb', decimals: 4 })).toBe('\n 1g      5.0025lb \r');
    expect(s({ status: 'tare-error', mode: 'net', value: 3 })).toBe('\nT1N  ----------kg \r');
    expect(s({ range: 2, value: 12, unit: 'g', decimals: 0 })).toBe('\n 2G          12g  \r');
    expect(encodeSmaReply({ value: 1 })).toHaveLength(20); // LF + 18 + CR
    expect(encodeSmaUnrecognized().toString('latin1')).toBe('\n?\r');
    expect(encodeSmaCommand('W').toString('latin1')).toBe('\nW\r');
  });

  it('refuses what does not fit', () => {
    expect(() => encodeSmaReply({ value: 123456789 })).toThrow(/does not fit/);
    expect(() => encodeSmaReply({ value: 1, unit: 'dwtx' })).toThrow(RangeError);
    expect(() => encodeSmaReply({ value: 1, range: 10 })).toThrow(RangeError);
    expect(() => encodeSmaReply({ value: 1, mode: 'tare', highResolution: true })).toThrow(RangeError);
  });

  it('round trip: <LF>?<CR>', () => {
    expect(parseSmaReply(encodeSmaUnrecognized().subarray(1, -1))).toEqual({ ok: true, reply: { kind: 'unrecognized' } });
  });

  const cases: SmaReplyFields[] = [
    { value: 12.34 },
    { value: 12.3, motion: true },
    { value: -1.5, mode: 'net' },
    { value: 0, status: 'zero' },
    { value: 1234, unit: 'g', decimals: 0 },
    { value: 0.125, unit: 't', decimals: 3 },
    { value: 30.5, unit: 'lb', decimals: 1 },
    { value: 5.0025, unit: 'lb', decimals: 4, highResolution: true },
    { value: -0.25, mode: 'net', highResolution: true, motion: true },
    { value: 2, mode: 'tare' },
    { value: 3, unit: 'oz', decimals: 0 },
    { value: 12.34, range: 3 },
    { value: 200, status: 'over' },
    { status: 'over' },
    { value: -12, status: 'under' },
    { status: 'zero-error' },
    { status: 'initial-zero-error', value: 1 },
    { status: 'tare-error', mode: 'net' },
    { status: 'not-displayed', value: 1 },
    { unit: '' }, // dashes with a blank unit: no standstill in time
  ];
  it.each(cases)('round trip %j', (fields) => roundTrip(fields));

  it('round trip: random replies', () => {
    const rng = seededRandom(42);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
    for (let i = 0; i < 1000; i++) {
      const decimals = Math.floor(rng() * 4);
      const highResolution = rng() < 0.2;
      roundTrip({
        status: rng() < 0.7 ? 'none' : pick(STATUSES),
        range: 1 + Math.floor(rng() * 9),
        mode: highResolution ? pick(['gross', 'net'] as const) : pick(['gross', 'net', 'tare'] as const),
        highResolution,
        motion: rng() < 0.5,
        value: rng() < 0.05 ? undefined : Math.round((rng() * 2 - 0.2) * 9999.9 * 10 ** decimals) / 10 ** decimals,
        unit: pick(['kg', 'g', 't', 'lb']),
        decimals,
      });
    }
  });
});
