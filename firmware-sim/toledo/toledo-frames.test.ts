import { describe, expect, it } from 'vitest';
import type { ScaleReading } from '../../edge-agent/drivers/scale.js';
import { parseToledoFrame, type ToledoStatus } from '../../edge-agent/drivers/toledo/parser.js';
import { isMassUnit, toKg } from '../../protocol/units.js';
import { seededRandom } from '../common/sim-device.js';
import { encodeToledoFrame, fieldsWithChecksum, toledoStatusWords, type ToledoFrameFields } from './toledo-frames.js';

/** What the parser must make of the fields: the contract of the round trip. */
function expected(fields: ToledoFrameFields): { reading: ScaleReading; status: ToledoStatus } {
  const { status, net = false, value = 0, tare = 0, decimals = 2, increment = 1, unit = 'kg' } = fields;
  const outOfRange = status === 'overload' || status === 'underload';
  const negative = status === 'underload' || (!outOfRange && value < 0);
  const decoded: ToledoStatus = {
    decimals,
    increment,
    net,
    negative,
    outOfRange,
    motion: status === 'unstable',
    unit,
    powerUpNotZeroed: fields.powerUpNotZeroed ?? false,
    printRequest: fields.printRequest ?? false,
  };
  let reading: ScaleReading;
  if (outOfRange) reading = { kind: status };
  else if (fields.powerUpNotZeroed) reading = { kind: 'not-mass', reason: expect.any(String) as unknown as string };
  else if (!isMassUnit(unit)) reading = { kind: 'not-mass', reason: `unit "${unit}" is not converted` };
  else {
    const kg = toKg(value, unit, Math.max(0, decimals));
    reading = { kind: 'mass', kg: kg === 0 ? 0 : kg, stable: status === 'stable', net, tareKg: toKg(tare, unit, Math.max(0, decimals)) };
  }
  return { reading, status: decoded };
}

function roundTrip(fields: ToledoFrameFields): void {
  const want = { ok: true, ...expected(fields) };
  const withSum = encodeToledoFrame(fields);
  expect(withSum).toHaveLength(18);
  expect(withSum.reduce((a, b) => a + b, 0) % 128).toBe(0);
  expect(parseToledoFrame(withSum), JSON.stringify(fields)).toEqual(want);
  expect(parseToledoFrame(encodeToledoFrame(fields, { checksum: false }))).toEqual(want);
  expect(parseToledoFrame(encodeToledoFrame(fields, { parity: 'even' }))).toEqual(want);
  expect(parseToledoFrame(encodeToledoFrame(fields, { parity: 'odd', checksum: false }))).toEqual(want);
}

describe('encodeToledoFrame', () => {
  it('lays out the worked frames of the manual byte for byte', () => {
    expect(encodeToledoFrame({ status: 'stable', value: 12.34, tare: 0 }).toString('hex')).toBe('022c3020202031323334202020303030' + '0d7b');
    expect(encodeToledoFrame({ status: 'unstable', net: true, value: -5, tare: 10 }).toString('hex')).toBe(
      '022c3b20202020353030202031303030' + '0d74',
    );
    expect(encodeToledoFrame({ status: 'stable', value: 12.34 }, { checksum: false })).toHaveLength(17);
  });

  it('sets every status bit', () => {
    expect(toledoStatusWords({ status: 'stable' })).toEqual([0x2c, 0x30, 0x20]);
    expect(toledoStatusWords({ status: 'stable', decimals: -2, increment: 5, unit: 'lb' })).toEqual([0x38, 0x20, 0x20]);
    expect(toledoStatusWords({ status: 'underload', unit: 'g' })).toEqual([0x2c, 0x36, 0x21]);
    expect(toledoStatusWords({ status: 'overload', value: -3, unit: 't' })).toEqual([0x2c, 0x34, 0x22]);
    expect(toledoStatusWords({ status: 'unstable', net: true, value: -1, powerUpNotZeroed: true, printRequest: true })).toEqual([
      0x2c, 0x7b, 0x28,
    ]);
  });

  it('pads with zeros when asked', () => {
    expect(encodeToledoFrame({ status: 'stable', value: 5, pad: 'zero' }).toString('latin1', 4, 16)).toBe('000500000000');
    expect(encodeToledoFrame({ status: 'stable', value: 1230, decimals: -1 }).toString('latin1', 4, 16)).toBe('   123     0');
  });

  it('refuses what a frame cannot say', () => {
    expect(() => encodeToledoFrame({ status: 'stable', value: 12345.67 })).toThrow(/does not fit/);
    expect(() => encodeToledoFrame({ status: 'stable', value: 1, decimals: 6 })).toThrow(RangeError);
  });

  it('puts a chosen byte in place of the checksum (fault injection)', () => {
    const f = encodeToledoFrame({ status: 'stable', value: 12.34 }, { checksum: 0x02 });
    expect(f[17]).toBe(0x02);
    expect(parseToledoFrame(f)).toMatchObject({ ok: false, reason: /checksum/ });
  });

  it.each([0x02, 0x0a, 0x0d])('finds a valid frame near a value whose checksum is 0x%s', (target) => {
    for (const value of [0, 12.34, -5, 99.99]) {
      const fields = fieldsWithChecksum({ status: 'stable', value, tare: 1.5 }, target);
      expect(Math.abs(fields.value! - value)).toBeLessThanOrEqual(20); // ±2000 steps of 0.01
      const f = encodeToledoFrame(fields);
      expect(f[17]).toBe(target);
      roundTrip(fields);
    }
  });

  it.each<ToledoFrameFields>([
    { status: 'stable', value: 12.34 },
    { status: 'unstable', value: 12.3, decimals: 1 },
    { status: 'stable', value: -1.5, net: true, tare: 3 },
    { status: 'stable', value: 0 },
    { status: 'stable', value: 1234, unit: 'g', decimals: 0 },
    { status: 'stable', value: 0.125, unit: 't', decimals: 3 },
    { status: 'stable', value: 30.5, unit: 'lb', decimals: 1, increment: 5 },
    { status: 'stable', value: 123400, decimals: -2, increment: 2 },
    { status: 'stable', value: 0.00012, decimals: 5 },
    { status: 'stable', value: 12.34, unit: 'oz' },
    { status: 'stable', value: 12.34, powerUpNotZeroed: true },
    { status: 'stable', value: 12.34, printRequest: true, pad: 'zero' },
    { status: 'overload', value: 12.34 },
    { status: 'underload' },
  ])('round trip %j', (fields) => roundTrip(fields));

  it('round trip: random frames', () => {
    const rng = seededRandom(42);
    const units = ['kg', 'lb', 'g', 't'] as const;
    for (let i = 0; i < 1000; i++) {
      const decimals = Math.floor(rng() * 8) - 2;
      const steps = () => Math.floor(rng() * 999_999);
      const net = rng() < 0.5;
      roundTrip({
        status: (['stable', 'unstable', 'stable', 'unstable', 'overload', 'underload'] as const)[Math.floor(rng() * 6)]!,
        net,
        value: (rng() < 0.2 ? -steps() : steps()) / 10 ** decimals,
        tare: net ? steps() / 10 ** decimals : 0,
        decimals,
        increment: ([1, 2, 5] as const)[Math.floor(rng() * 3)]!,
        unit: units[Math.floor(rng() * units.length)]!,
        printRequest: rng() < 0.1,
        pad: rng() < 0.5 ? 'space' : 'zero',
      });
    }
  });
});
