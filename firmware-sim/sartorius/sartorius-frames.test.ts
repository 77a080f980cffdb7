import { describe, expect, it } from 'vitest';
import type { ScaleReading } from '../../edge-agent/drivers/scale.js';
import { parseSartoriusFrame } from '../../edge-agent/drivers/sartorius/parser.js';
import { isMassUnit, toKg } from '../../protocol/units.js';
import { withParity } from '../common/parity.js';
import { seededRandom } from '../common/sim-device.js';
import { encodeSartoriusFrame, type SartoriusFrameFields } from './sartorius-frames.js';

/** What the parser must make of the fields: the contract of the round trip. */
function expected(fields: SartoriusFrameFields): ScaleReading {
  const { status, value = 0, unit = 'kg', decimals = 2, id } = fields;
  if (status === 'overload' || status === 'underload') return { kind: status };
  if (id !== undefined && !/^(G|N)/.test(id)) return { kind: 'not-mass', reason: expect.any(String) as unknown as string };
  if (!isMassUnit(unit)) return { kind: 'not-mass', reason: expect.any(String) as unknown as string };
  const kg = toKg(Math.abs(value) < 0.5 * 10 ** -decimals ? 0 : value, unit, decimals);
  return { kind: 'mass', kg: kg === 0 ? 0 : kg, stable: status === 'stable', net: id !== undefined && id.startsWith('N') };
}

function roundTrip(fields: SartoriusFrameFields): void {
  const frame = encodeSartoriusFrame(fields);
  expect(frame).toHaveLength(fields.id === undefined ? 16 : 22);
  expect(frame.subarray(-2).toString()).toBe('\r\n');
  const line = frame.subarray(0, -2);
  const options = { unit: fields.unit ?? 'kg' };
  const want = { ok: true, reading: expected(fields), length: fields.id === undefined ? 16 : 22 };
  expect(parseSartoriusFrame(line, options), JSON.stringify(fields)).toMatchObject(want);
  expect(parseSartoriusFrame(line, { ...options, frameLength: want.length as 16 | 22 })).toMatchObject(want);
  expect(parseSartoriusFrame(withParity(line, 'odd'), options)).toMatchObject(want);
  expect(parseSartoriusFrame(withParity(line, 'even'), options)).toMatchObject(want);
}

describe('encodeSartoriusFrame', () => {
  it('lays out the formats as the manuals do', () => {
    const s = (b: Buffer) => b.toString('latin1');
    expect(s(encodeSartoriusFrame({ status: 'stable', value: 1255.7, unit: 'g', decimals: 1 }))).toBe('+   1255.7 g  \r\n');
    expect(s(encodeSartoriusFrame({ status: 'unstable', value: -12.34 }))).toBe('-    12.34    \r\n');
    expect(s(encodeSartoriusFrame({ status: 'stable', value: 123.56, unit: 'g', id: 'N' }))).toBe('N     +   123.56 g  \r\n');
    expect(s(encodeSartoriusFrame({ status: 'overload' }))).toBe('      H       \r\n');
    expect(s(encodeSartoriusFrame({ status: 'underload', id: 'G#' }))).toBe('Stat        L       \r\n');
  });

  it('refuses what a frame cannot say', () => {
    expect(() => encodeSartoriusFrame({ status: 'stable', value: 1234567.89 })).toThrow(/does not fit/);
    expect(() => encodeSartoriusFrame({ status: 'stable', value: 1, unit: 'kilo' })).toThrow(RangeError);
    expect(() => encodeSartoriusFrame({ status: 'stable', value: 1, id: 'Gross7' + 'x' })).toThrow(RangeError);
  });

  it.each<SartoriusFrameFields>([
    { status: 'stable', value: 12.34 },
    { status: 'unstable', value: 12.3, decimals: 1 },
    { status: 'stable', value: -1.5 },
    { status: 'stable', value: 0 },
    { status: 'stable', value: 1234, unit: 'g', decimals: 0 },
    { status: 'stable', value: 111.25507, unit: 'g', decimals: 5 },
    { status: 'stable', value: 0.125, unit: 't', decimals: 3 },
    { status: 'stable', value: 30.5, unit: 'lb', decimals: 1 },
    { status: 'stable', value: 12, unit: 'pcs', decimals: 0 },
    { status: 'overload' },
    { status: 'underload' },
    { status: 'stable', value: 7.5, id: 'G#' },
    { status: 'unstable', value: -0.25, id: 'N' },
    { status: 'stable', value: 2, id: 'T' },
    { status: 'overload', id: 'G#' },
  ])('round trip %j', (fields) => roundTrip(fields));

  it('round trip: random frames', () => {
    const rng = seededRandom(42);
    for (let i = 0; i < 1000; i++) {
      const decimals = Math.floor(rng() * 5);
      const value = Math.round((rng() * 2 - 0.3) * 999 * 10 ** decimals) / 10 ** decimals;
      const r = rng();
      roundTrip({
        status: r < 0.45 ? 'stable' : r < 0.9 ? 'unstable' : r < 0.95 ? 'overload' : 'underload',
        value,
        decimals,
        unit: (['kg', 'g', 't', 'lb'] as const)[Math.floor(rng() * 4)]!,
        id: rng() < 0.5 ? undefined : (['G#', 'N', 'N1', 'G'] as const)[Math.floor(rng() * 4)]!,
      });
    }
  });
});
