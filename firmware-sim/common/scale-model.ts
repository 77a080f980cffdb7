import { EventEmitter } from 'node:events';
import { KG_PER_UNIT, roundTo, type MassUnit } from '../../protocol/units.js';

export interface ScaleModelOptions {
  /** Display unit (default kg); load() always takes kilograms. */
  unit?: MassUnit;
  /** Digits after the point in the display unit (default 2). */
  decimals?: number;
  /** Above this gross the scale shows overload (default 150 kg). */
  capacityKg?: number;
  /** Motion after a load change lasts a random time in this range (default 600–1500 ms). */
  settleMs?: [min: number, max: number];
  /** Smallest motion amplitude (default 0.05 kg); a big load change swings by 10 % of the change. */
  noiseKg?: number;
  rng?: () => number;
  now?: () => number;
}

/** What the scale's display shows at one moment, in its display unit, before any wire format. */
export interface ScaleDisplay {
  status: 'stable' | 'unstable' | 'overload' | 'underload';
  /** Displayed value (net when a tare is set, else gross) in `unit`, rounded to `decimals`; absent out of range. */
  value?: number;
  /** Tare in `unit`, 0 when none. */
  tare: number;
  net: boolean;
  unit: MassUnit;
  decimals: number;
}

export interface ScaleModelEvents {
  /** The first stable display reported after a load change: what a latency benchmark measures from. */
  firstStableFrame: [kg: number, at: number];
}

/**
 * The physics every simulated scale shares, whatever its protocol: a load on the platter moves the display
 * (noisy) for a settle time, then it reads the load exactly and stably; zero, tare and overload. Protocol
 * twins turn `display()` into their own frames and call `reported()` with what they sent.
 */
export class ScaleModel extends EventEmitter<ScaleModelEvents> {
  readonly opts: Required<ScaleModelOptions>;
  private loadKg = 0;
  private zeroKg = 0;
  private tareKg = 0;
  private overloadForced = false;
  private swaying = false;
  private settleUntil = 0;
  private amplitudeKg = 0;
  private motionStart = 0;
  private awaitingStable = false;

  constructor(options: ScaleModelOptions = {}) {
    super();
    this.opts = {
      unit: 'kg',
      decimals: 2,
      capacityKg: 150,
      settleMs: [600, 1500],
      noiseKg: 0.05,
      rng: Math.random,
      now: Date.now,
      ...options,
    };
  }

  /** Kilograms on the platter. */
  get platterKg(): number {
    return this.loadKg;
  }

  /** Puts `kg` more on the platter; the display moves, then settles. */
  load(kg: number): void {
    this.change(kg);
  }

  /** Empties the platter. */
  unload(): void {
    this.change(-this.loadKg);
  }

  setOverload(on: boolean): void {
    this.overloadForced = on;
  }

  /**
   * A load that never settles (a swinging bag, someone leaning on the platter): moving until turned off,
   * then settling as after a load change. A state, not a timing: a test of "never stable" must not hang on
   * how often a loaded machine runs its timers.
   */
  setSwaying(on: boolean): void {
    this.swaying = on;
    if (!on) this.change(0);
  }

  /** Zero: what is on the platter now reads 0. */
  zero(): void {
    this.zeroKg = this.loadKg;
    this.tareKg = 0;
  }

  /** Tare: what is on the platter now is the container; the display shows net. Returns the tare in kg. */
  tare(): number {
    this.tareKg = this.loadKg - this.zeroKg;
    return this.tareKg;
  }

  clearTare(): void {
    this.tareKg = 0;
  }

  display(): ScaleDisplay {
    const { unit, decimals, capacityKg } = this.opts;
    const grossKg = this.loadKg - this.zeroKg;
    const tare = roundTo(this.tareKg / KG_PER_UNIT[unit], decimals);
    const base = { unit, decimals, net: this.tareKg !== 0, tare };
    if (this.overloadForced || grossKg > capacityKg) return { ...base, status: 'overload' };
    let kg = grossKg - this.tareKg;
    const now = this.opts.now();
    const moving = this.swaying || now < this.settleUntil;
    if (moving) {
      // The swing dies down as the platter settles.
      const left = this.swaying ? 1 : (this.settleUntil - now) / (this.settleUntil - this.motionStart);
      kg += this.amplitudeKg * left * (2 * this.opts.rng() - 1);
    }
    const value = roundTo(kg / KG_PER_UNIT[unit], decimals);
    return { ...base, status: moving ? 'unstable' : 'stable', value: value === 0 ? 0 : value };
  }

  /** Protocol twins call this with each display they put on the wire, for the firstStableFrame event. */
  reported(display: ScaleDisplay): void {
    if (display.status === 'stable' && this.awaitingStable) {
      this.awaitingStable = false;
      this.emit('firstStableFrame', roundTo(display.value! * KG_PER_UNIT[display.unit], 6), this.opts.now());
    }
  }

  private change(deltaKg: number): void {
    const [min, max] = this.opts.settleMs;
    this.loadKg = Math.max(0, this.loadKg + deltaKg);
    this.motionStart = this.opts.now();
    this.settleUntil = this.motionStart + min + this.opts.rng() * (max - min);
    this.amplitudeKg = Math.max(this.opts.noiseKg, Math.abs(deltaKg) * 0.1);
    this.awaitingStable = true;
  }
}

/** What the attendant, the benchmarks and the tests drive: any simulated scale, whatever its protocol. */
export interface LoadableScale {
  readonly model: ScaleModel;
}
