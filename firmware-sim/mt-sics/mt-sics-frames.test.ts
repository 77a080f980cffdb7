import { describe, expect, it } from 'vitest';
import { parseMtSicsReply, type MtSicsReply } from '../../edge-agent/drivers/mt-sics/parser.js';
import { isMassUnit, toKg } from '../../protocol/units.js';
import { withParity } from '../common/parity.js';
import { seededRandom } from '../common/sim-device.js';
import { encodeMtSicsReply, type MtSicsReplyFields } from './mt-sics-frames.js';

const anyReason = expect.any(String) as unknown as string;

/** What the parser must make of the fields: the contract of the round trip. */
function expected(fields: MtSicsReplyFields): MtSicsReply {
  switch (fields.reply) {
    case 'weight': {
      const { value, unit = 'kg', decimals = 2 } = fields;
      if (!isMassUnit(unit)) return { kind: 'reading', id: 'S', reading: { kind: 'not-mass', reason: anyReason } };
      const kg = toKg(Number(value.toFixed(decimals)), unit, decimals);
      return { kind: 'reading', id: 'S', reading: { kind: 'mass', kg: kg === 0 ? 0 : kg, stable: fields.stable, net: false } };
    }
    case 'weight-status': {
      const reading = { I: { kind: 'not-mass', reason: anyReason }, '+': { kind: 'overload' }, '-': { kind: 'underload' } } as const;
      return { kind: 'reading', id: 'S', reading: reading[fields.status] };
    }
    case 'tare': {
      const { value, unit = 'kg', decimals = 2 } = fields;
      return { kind: 'tare', id: 'T', tareKg: toKg(Number(value.toFixed(decimals)), unit as 'kg', decimals) };
    }
    case 'zeroed':
      return { kind: 'zeroed', id: 'Z' };
    case 'refused':
      return { kind: 'refused', id: fields.command, reason: anyReason };
    case 'identification':
      return { kind: 'identification', id: 'I4', serial: fields.serial };
    case 'error':
      return { kind: 'error', id: fields.code, reason: anyReason };
  }
}

function roundTrip(fields: MtSicsReplyFields): void {
  const frame = encodeMtSicsReply(fields);
  expect(frame.subarray(-2).toString()).toBe('\r\n');
  const line = frame.subarray(0, -2);
  const reply = expected(fields);
  expect(parseMtSicsReply(line), JSON.stringify(fields)).toEqual({ ok: true, reply });
  expect(parseMtSicsReply(withParity(line, 'even'))).toEqual({ ok: true, reply });
  expect(parseMtSicsReply(withParity(line, 'odd'))).toEqual({ ok: true, reply });
}

describe('encodeMtSicsReply', () => {
  it('lays out replies as the reference manual does', () => {
    const s = (f: MtSicsReplyFields) => encodeMtSicsReply(f).toString('latin1');
    expect(s({ reply: 'weight', stable: true, value: 12.345, decimals: 3 })).toBe('S S     12.345 kg\r\n');
    expect(s({ reply: 'weight', stable: false, value: -1.5 })).toBe('S D      -1.50 kg\r\n');
    expect(s({ reply: 'weight', stable: true, value: 100, unit: 'g' })).toBe('S S     100.00 g\r\n');
    expect(s({ reply: 'weight-status', status: 'I' })).toBe('S I\r\n');
    expect(s({ reply: 'tare', value: 2.5 })).toBe('T S       2.50 kg\r\n');
    expect(s({ reply: 'zeroed' })).toBe('Z A\r\n');
    expect(s({ reply: 'refused', command: 'T', status: '+' })).toBe('T +\r\n');
    expect(s({ reply: 'identification', serial: 'B123456789' })).toBe('I4 A "B123456789"\r\n');
    expect(s({ reply: 'error', code: 'EL' })).toBe('EL\r\n');
  });

  it('refuses what does not fit', () => {
    expect(() => encodeMtSicsReply({ reply: 'weight', stable: true, value: 123456789, decimals: 2 })).toThrow(/does not fit/);
    expect(() => encodeMtSicsReply({ reply: 'identification', serial: 'a"b' })).toThrow(RangeError);
  });

  const cases: MtSicsReplyFields[] = [
    { reply: 'weight', stable: true, value: 12.34 },
    { reply: 'weight', stable: false, value: 12.3 },
    { reply: 'weight', stable: true, value: -1.5 },
    { reply: 'weight', stable: true, value: 0 },
    { reply: 'weight', stable: true, value: 1234, unit: 'g', decimals: 0 },
    { reply: 'weight', stable: true, value: 0.125, unit: 't', decimals: 3 },
    { reply: 'weight', stable: true, value: 30.5, unit: 'lb', decimals: 1 },
    { reply: 'weight', stable: true, value: 42, unit: 'PCS', decimals: 0 },
    { reply: 'weight', stable: true, value: 1.5, unit: 'oz', decimals: 1 },
    { reply: 'weight-status', status: 'I' },
    { reply: 'weight-status', status: '+' },
    { reply: 'weight-status', status: '-' },
    { reply: 'tare', value: 2.5 },
    { reply: 'tare', value: 500, unit: 'g', decimals: 0 },
    { reply: 'zeroed' },
    ...(['Z', 'T'] as const).flatMap((command) => (['I', '+', '-'] as const).map((status) => ({ reply: 'refused' as const, command, status }))),
    { reply: 'identification', serial: '0123456789' },
    { reply: 'identification', serial: 'SN 12 34' },
    { reply: 'error', code: 'ES' },
    { reply: 'error', code: 'ET' },
    { reply: 'error', code: 'EL' },
  ];
  it.each(cases)('round trip %j', (fields) => roundTrip(fields));

  it('round trip: random weights in every unit', () => {
    const rng = seededRandom(42);
    for (let i = 0; i < 500; i++) {
      const decimals = Math.floor(rng() * 4);
      const value = Math.round((rng() * 2 - 0.2) * 999.9 * 10 ** decimals) / 10 ** decimals;
      const unit = (['kg', 'g', 't', 'lb'] as const)[Math.floor(rng() * 4)]!;
      roundTrip({ reply: rng() < 0.8 ? 'weight' : 'tare', stable: rng() < 0.5, value: Math.abs(value), unit, decimals } as MtSicsReplyFields);
      roundTrip({ reply: 'weight', stable: rng() < 0.5, value, unit, decimals });
    }
  });
});
