import { roundTo } from '../../protocol/units.js';
import type { ScaleReading } from '../drivers/scale.js';

export interface WeighingRules {
  /** The smallest load that makes a weighing (kg). */
  minKg: number;
  /** The scale counts as emptied once a stable reading is within this band around zero (kg). */
  rearmBelowKg: number;
}

export interface CapturedLoad {
  netKg: number;
  /** Gross and tare when the scale reported a net weight with a known tare. */
  grossKg?: number;
  tareKg?: number;
}

export type WeighingPhase = 'waiting-for-zero' | 'armed';

/**
 * One weighing per load: a stable mass at or above `minKg` is taken once, then nothing more is taken
 * until the scale has come back near zero. Unstable, overload, underload, negative and non-mass frames
 * never make a weighing. It starts waiting for zero so that a load still on the scale when the agent
 * restarts is not weighed a second time.
 */
export class WeighingStateMachine {
  private phaseValue: WeighingPhase = 'waiting-for-zero';

  constructor(private readonly rules: WeighingRules) {
    if (rules.rearmBelowKg >= rules.minKg) throw new Error('rearmBelowKg must be below minKg');
  }

  get phase(): WeighingPhase {
    return this.phaseValue;
  }

  /** Feeds a reading; returns the load to record when this reading completes a weighing. */
  onReading(reading: ScaleReading): CapturedLoad | undefined {
    if (reading.kind !== 'mass' || !reading.stable) return undefined;
    if (Math.abs(reading.kg) <= this.rules.rearmBelowKg) {
      this.phaseValue = 'armed';
      return undefined;
    }
    if (this.phaseValue !== 'armed' || reading.kg < this.rules.minKg) return undefined;
    this.phaseValue = 'waiting-for-zero';
    return loadOf(reading);
  }
}

/** The load a mass reading shows: its net weight, with gross and tare when the scale itself tared. */
export function loadOf(reading: Extract<ScaleReading, { kind: 'mass' }>): CapturedLoad {
  if (reading.net && reading.tareKg !== undefined) {
    return { netKg: reading.kg, tareKg: reading.tareKg, grossKg: roundTo(reading.kg + reading.tareKg, 6) };
  }
  return { netKg: reading.kg };
}
