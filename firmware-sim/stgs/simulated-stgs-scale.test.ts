import { describe, expect, it } from 'vitest';
import { parseStgsFrame } from '../../edge-agent/drivers/stgs/parser.js';
import type { ScaleReading } from '../../edge-agent/drivers/scale.js';
import { seededRandom } from '../common/sim-device.js';
import { SimulatedStgsScale, type SimulatedStgsScaleOptions } from './simulated-stgs-scale.js';

function scaleAt(options: SimulatedStgsScaleOptions = {}) {
  let now = 0;
  const written: Buffer[] = [];
  const firstStable: Array<[number, number]> = [];
  const scale = new SimulatedStgsScale({ rng: seededRandom(7), now: () => now, settleMs: [600, 1500], ...options });
  scale.setSink({ write: (b: Buffer) => written.push(b) });
  scale.on('firstStableFrame', (kg, at) => firstStable.push([kg, at]));
  /** Advances the fake clock frame by frame and returns what the parser reads. */
  const run = (ms: number): ScaleReading[] => {
    const out: ScaleReading[] = [];
    for (let t = 0; t < ms; t += 100) {
      now += 100;
      const r = parseStgsFrame(scale.tick().subarray(0, -2));
      if (!r.ok) throw new Error(r.reason);
      out.push(r.reading);
    }
    return out;
  };
  return { scale, run, written, firstStable, clock: () => now };
}

describe('SimulatedStgsScale', () => {
  it('moves after a load, then reads it exactly and stably; reports the first stable frame once', () => {
    const { scale, run, firstStable, written } = scaleAt();
    expect(run(300)).toEqual(Array(3).fill({ kind: 'mass', kg: 0, stable: true, net: false }));
    scale.load(12.34);
    const readings = run(2_000);
    const firstStableIndex = readings.findIndex((r) => r.kind === 'mass' && r.stable);
    expect(firstStableIndex).toBeGreaterThanOrEqual(5); // ≥ 600 ms of motion at 10 Hz
    expect(firstStableIndex).toBeLessThanOrEqual(15);
    const moving = readings.slice(0, firstStableIndex);
    expect(moving.every((r) => r.kind === 'mass' && !r.stable && Math.abs(r.kg - 12.34) < 1.3)).toBe(true);
    expect(new Set(moving.map((r) => (r.kind === 'mass' ? r.kg : 0))).size).toBeGreaterThan(1); // noisy
    expect(readings.slice(firstStableIndex)).toEqual(
      Array(readings.length - firstStableIndex).fill({ kind: 'mass', kg: 12.34, stable: true, net: false }),
    );
    expect(firstStable).toEqual([[12.34, 300 + (firstStableIndex + 1) * 100]]);
    expect(written).toHaveLength(23);
  });

  it('is deterministic with a seeded generator', () => {
    const a = scaleAt();
    const b = scaleAt();
    a.scale.load(5);
    b.scale.load(5);
    expect(a.run(2_000)).toEqual(b.run(2_000));
  });

  it('shows overload when forced or above capacity, and unloads to zero', () => {
    const { scale, run } = scaleAt({ capacityKg: 60 });
    scale.setOverload(true);
    expect(run(100)).toEqual([{ kind: 'overload' }]);
    scale.setOverload(false);
    scale.load(61);
    expect(run(2_000).at(-1)).toEqual({ kind: 'overload' });
    scale.unload();
    expect(run(2_000).at(-1)).toEqual({ kind: 'mass', kg: 0, stable: true, net: false });
  });

  it('answers tare and zero commands from the host', () => {
    const { scale, run } = scaleAt();
    scale.load(2);
    run(2_000);
    scale.receive(Buffer.from('T\r'));
    scale.receive(Buffer.from('\n'));
    scale.load(10);
    expect(run(2_000).at(-1)).toEqual({ kind: 'mass', kg: 10, stable: true, net: true });
    scale.unload();
    expect(run(2_000).at(-1)).toEqual({ kind: 'mass', kg: -2, stable: true, net: true });
  });

  it('speaks every format, unit and parity', () => {
    for (const format of ['ad-balance', 'ad-indicator', 'cas', 'dini'] as const) {
      const { scale, run } = scaleAt({ format, unit: 'g', decimals: 0, parity: 'even' });
      scale.load(1.5);
      expect(run(2_000).at(-1)).toEqual({ kind: 'mass', kg: 1.5, stable: true, net: false });
    }
  });
});
