import { describe, expect, it } from 'vitest';
import { parseSartoriusFrame } from '../../edge-agent/drivers/sartorius/parser.js';
import type { ScaleReading } from '../../edge-agent/drivers/scale.js';
import { seededRandom } from '../common/sim-device.js';
import { SimulatedSartoriusScale, type SimulatedSartoriusScaleOptions } from './simulated-sartorius-scale.js';

function scaleAt(options: SimulatedSartoriusScaleOptions = {}) {
  let now = 0;
  const written: Buffer[] = [];
  const firstStable: Array<[number, number]> = [];
  const scale = new SimulatedSartoriusScale({ rng: seededRandom(7), now: () => now, settleMs: [600, 1500], ...options });
  scale.setSink({ write: (b: Buffer) => written.push(b) });
  scale.on('firstStableFrame', (kg, at) => firstStable.push([kg, at]));
  const read = (frame: Buffer): ScaleReading => {
    const r = parseSartoriusFrame(frame.subarray(0, -2), { unit: options.unit ?? 'kg' });
    if (!r.ok) throw new Error(r.reason);
    return r.reading;
  };
  /** Advances the fake clock frame by frame and returns what the parser reads. */
  const run = (ms: number): ScaleReading[] => {
    const out: ScaleReading[] = [];
    for (let t = 0; t < ms; t += 100) {
      now += 100;
      out.push(read(scale.tick()));
    }
    return out;
  };
  const command = (text: string) => scale.receive(Buffer.from(text, 'latin1'));
  return { scale, run, read, command, written, firstStable };
}

const mass = (kg: number, stable = true, net = false): ScaleReading => ({ kind: 'mass', kg, stable, net });

describe('SimulatedSartoriusScale', () => {
  it('moves after a load, then reads it exactly and stably; reports the first stable frame once', () => {
    const { scale, run, firstStable, written } = scaleAt();
    expect(run(300)).toEqual(Array(3).fill(mass(0)));
    scale.load(12.34);
    const readings = run(2_000);
    const firstStableIndex = readings.findIndex((r) => r.kind === 'mass' && r.stable);
    expect(firstStableIndex).toBeGreaterThanOrEqual(5);
    expect(firstStableIndex).toBeLessThanOrEqual(15);
    const moving = readings.slice(0, firstStableIndex);
    expect(moving.every((r) => r.kind === 'mass' && !r.stable && Math.abs(r.kg - 12.34) < 1.3)).toBe(true);
    expect(readings.slice(firstStableIndex)).toEqual(Array(readings.length - firstStableIndex).fill(mass(12.34)));
    expect(firstStable).toEqual([[12.34, 300 + (firstStableIndex + 1) * 100]]);
    expect(written).toHaveLength(23);
    expect(written.every((f) => f.length === 16)).toBe(true);
  });

  it('is deterministic with a seeded generator', () => {
    const a = scaleAt();
    const b = scaleAt();
    a.scale.load(5);
    b.scale.load(5);
    expect(a.run(2_000)).toEqual(b.run(2_000));
  });

  it('shows overload when forced or above capacity, and unloads to zero', () => {
    const { scale, run } = scaleAt({ capacityKg: 60, idCodes: true });
    scale.setOverload(true);
    expect(run(100)).toEqual([{ kind: 'overload' }]);
    scale.setOverload(false);
    scale.load(61);
    expect(run(2_000).at(-1)).toEqual({ kind: 'overload' });
    scale.unload();
    expect(run(2_000).at(-1)).toEqual(mass(0));
  });

  it('prints on ESC P, with or without CR LF, and ignores what it does not know', () => {
    const { scale, command, written } = scaleAt();
    scale.load(1);
    command('\x1bP');
    command('\x1b');
    command('P\r\n');
    command('garbage\x1bQ\x1bx1_\r\n');
    expect(written).toHaveLength(2);
    expect(scale.commands).toEqual(['P', 'P']);
  });

  it('tares and zeroes: ESC T (zero on an empty pan, else tare), ESC U, ESC V, ESC f3_, ESC f4_', () => {
    const { scale, run, command } = scaleAt({ idCodes: true });
    scale.load(2);
    run(2_000);
    command('\x1bT\r\n');
    scale.load(10);
    expect(run(2_000).at(-1)).toEqual(mass(10, true, true));
    scale.unload();
    expect(run(2_000).at(-1)).toEqual(mass(-2, true, true));
    command('\x1bT'); // empty pan: zero, which clears the tare
    expect(run(100)).toEqual([mass(0)]);
    scale.load(3);
    run(2_000);
    command('\x1bf4_');
    expect(run(100)).toEqual([mass(0, true, true)]);
    command('\x1bV');
    expect(run(100)).toEqual([mass(0)]);
    scale.load(1);
    run(2_000);
    command('\x1bU\x1bf3_');
    expect(run(100)).toEqual([mass(0)]);
    expect(scale.commands).toEqual(['T', 'T', 'f4', 'V', 'U', 'f3']);
  });

  it('speaks every unit, both lengths, with parity', () => {
    for (const unit of ['kg', 'g', 'lb', 't'] as const) {
      for (const idCodes of [false, true]) {
        const decimals = unit === 'g' ? 0 : unit === 't' ? 4 : 2;
        const { scale, run, written } = scaleAt({ unit, decimals, idCodes, parity: 'odd' });
        scale.load(1.5);
        const last = run(2_000).at(-1)!;
        expect(last).toMatchObject({ kind: 'mass', stable: true, net: false });
        expect(last.kind === 'mass' && Math.abs(last.kg - 1.5)).toBeLessThan(0.01);
        expect(written.at(-1)).toHaveLength(idCodes ? 22 : 16);
      }
    }
  });
});
