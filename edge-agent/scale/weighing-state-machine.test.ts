import { describe, expect, it } from 'vitest';
import type { ScaleReading } from '../drivers/scale.js';
import { WeighingStateMachine } from './weighing-state-machine.js';

const stable = (kg: number, extra: Partial<Extract<ScaleReading, { kind: 'mass' }>> = {}): ScaleReading => ({ kind: 'mass', kg, stable: true, net: false, ...extra });
const moving = (kg: number): ScaleReading => ({ kind: 'mass', kg, stable: false, net: false });

function run(readings: ScaleReading[]) {
  const m = new WeighingStateMachine({ minKg: 0.2, rearmBelowKg: 0.05 });
  return readings.map((r) => m.onReading(r)).filter((x) => x !== undefined);
}

describe('weighing state machine', () => {
  it('takes one weighing per load, from the first stable reading, once the scale has been at zero', () => {
    const taken = run([stable(0), moving(3), moving(12.1), stable(12.34), stable(12.34), stable(12.36), moving(5), stable(0.01)]);
    expect(taken).toEqual([{ netKg: 12.34 }]);
  });

  it('waits for zero at start so a load left on the scale across a restart is not weighed twice', () => {
    expect(run([stable(8), stable(8), stable(0), moving(4), stable(4.5)])).toEqual([{ netKg: 4.5 }]);
  });

  it('re-arms only on a stable reading near zero, not on a moving one passing through', () => {
    expect(run([stable(0), stable(5), moving(0), moving(5), stable(5), stable(0), stable(6)])).toEqual([{ netKg: 5 }, { netKg: 6 }]);
  });

  it('never posts unstable, below-minimum, negative, overload, underload or non-mass readings', () => {
    const taken = run([
      stable(0),
      moving(10),
      stable(0.19),
      stable(-3),
      { kind: 'overload' },
      { kind: 'underload' },
      { kind: 'not-mass', reason: 'counting mode' },
    ]);
    expect(taken).toEqual([]);
  });

  it('the minimum is inclusive: 0.2 kg is a weighing', () => {
    expect(run([stable(0), stable(0.2)])).toEqual([{ netKg: 0.2 }]);
  });

  it('a net reading with a known tare carries gross and tare', () => {
    expect(run([stable(0, { net: true, tareKg: 2 }), stable(10.5, { net: true, tareKg: 2 })])).toEqual([{ netKg: 10.5, tareKg: 2, grossKg: 12.5 }]);
  });

  it('refuses rules where the re-arm band reaches the minimum', () => {
    expect(() => new WeighingStateMachine({ minKg: 0.2, rearmBelowKg: 0.2 })).toThrow(/rearmBelowKg/);
  });
});
