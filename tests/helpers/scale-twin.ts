import { expect, it } from 'vitest';
import type { ScaleReading } from '../../edge-agent/drivers/scale.js';
import type { SimulatedScaleBase, SimulatedScaleBaseOptions } from '../../firmware-sim/common/simulated-scale-base.js';
import { seededRandom } from '../../firmware-sim/common/sim-device.js';

/**
 * A streaming twin on a fake clock: every 100 ms `run` ticks one frame and returns what the twin's own
 * driver parser reads of it, so a twin is always tested through the real parser.
 */
export function twinHarness<O extends SimulatedScaleBaseOptions, S extends SimulatedScaleBase>(
  create: (options: O) => S,
  parse: (frame: Buffer, options: O) => ScaleReading,
) {
  return (options: Partial<O> = {}) => {
    let now = 0;
    const written: Buffer[] = [];
    const firstStable: Array<[number, number]> = [];
    const all = { rng: seededRandom(7), now: () => now, settleMs: [600, 1500], ...options } as O;
    const scale = create(all);
    scale.setSink({ write: (b: Buffer) => written.push(b) });
    scale.on('firstStableFrame', (kg, at) => firstStable.push([kg, at]));
    const read = (frame: Buffer): ScaleReading => parse(frame, all);
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
  };
}

/**
 * What every streaming twin must do whatever its protocol: move then settle exactly on a load, report the
 * first stable frame once, replay identically with a seed, show overload and come back to zero.
 */
export function streamingTwinContract<O extends SimulatedScaleBaseOptions>(
  scaleAt: ReturnType<typeof twinHarness<O, SimulatedScaleBase>>,
  expected: { mass: (kg: number) => ScaleReading; frameBytes?: number; overloadOptions?: Partial<O> },
): void {
  it('moves after a load, then reads it exactly and stably; reports the first stable frame once', () => {
    const { scale, run, firstStable, written } = scaleAt();
    expect(run(300)).toEqual(Array(3).fill(expected.mass(0)));
    scale.load(12.34);
    const readings = run(2_000);
    const firstStableIndex = readings.findIndex((r) => r.kind === 'mass' && r.stable);
    expect(firstStableIndex).toBeGreaterThanOrEqual(5); // ≥ 600 ms of motion at 10 Hz
    expect(firstStableIndex).toBeLessThanOrEqual(15);
    const moving = readings.slice(0, firstStableIndex);
    expect(moving.every((r) => r.kind === 'mass' && !r.stable && Math.abs(r.kg - 12.34) < 1.3)).toBe(true);
    expect(new Set(moving.map((r) => (r.kind === 'mass' ? r.kg : 0))).size).toBeGreaterThan(1); // noisy
    expect(readings.slice(firstStableIndex)).toEqual(Array(readings.length - firstStableIndex).fill(expected.mass(12.34)));
    expect(firstStable).toEqual([[12.34, 300 + (firstStableIndex + 1) * 100]]);
    expect(written).toHaveLength(23);
    if (expected.frameBytes) expect(written.every((f) => f.length === expected.frameBytes)).toBe(true);
  });

  it('is deterministic with a seeded generator', () => {
    const a = scaleAt();
    const b = scaleAt();
    a.scale.load(5);
    b.scale.load(5);
    expect(a.run(2_000)).toEqual(b.run(2_000));
  });

  it('shows overload when forced or above capacity, and unloads to zero', () => {
    const { scale, run } = scaleAt({ capacityKg: 60, ...expected.overloadOptions } as Partial<O>);
    scale.setOverload(true);
    expect(run(100)).toEqual([{ kind: 'overload' }]);
    scale.setOverload(false);
    scale.load(61);
    expect(run(2_000).at(-1)).toEqual({ kind: 'overload' });
    scale.unload();
    expect(run(2_000).at(-1)).toEqual(expected.mass(0));
  });
}
