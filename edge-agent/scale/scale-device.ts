import { EventEmitter } from 'node:events';
import type { DeviceState } from '../../protocol/index.js';
import type { FrameError, ScaleDriver, ScaleReading } from '../drivers/scale.js';
import { LiveThrottle, type LiveValue } from './live-throttle.js';
import { loadOf, WeighingStateMachine, type CapturedLoad, type WeighingRules } from './weighing-state-machine.js';

/** No reading for this long while the link is open makes the device degraded (a scale streams continuously). */
const SILENCE_MS = 5000;
/** This many bad frames in a row make the device degraded. */
const DEGRADED_AFTER_ERRORS = 3;

export interface ScaleDeviceEvents {
  /** A new load, stable for the first time since the scale was last near zero (one per load). */
  weighing: [load: CapturedLoad, capturedAtMs: number];
  /** A stable weight that differs from the last stable one (a load settled, or was added to). */
  settled: [load: CapturedLoad, atMs: number];
  /** Back near zero: the next load is a new one. */
  emptied: [];
  live: [value: LiveValue];
  state: [state: DeviceState];
}

function liveOf(reading: ScaleReading): LiveValue {
  switch (reading.kind) {
    case 'mass':
      return { kg: reading.kg, state: reading.stable ? 'stable' : 'moving' };
    case 'overload':
    case 'underload':
      return { kg: null, state: reading.kind };
    case 'not-mass':
      return { kg: null, state: 'moving' };
  }
}

/**
 * One scale as the agent sees it: its driver's readings become weighings (state machine) and live
 * values (throttled), and its link and frame errors become a health state.
 */
export class ScaleDevice extends EventEmitter<ScaleDeviceEvents> {
  private readonly machine: WeighingStateMachine;
  private readonly throttle: LiveThrottle;
  private linkOpen = false;
  private linkOpenedAt = 0;
  private lastReadingAt: number | null = null;
  private consecutiveErrors = 0;
  private totalErrors = 0;
  private lastErrorDetail: string | undefined;
  private stateValue: DeviceState['state'] = 'offline';
  private latestLive: LiveValue = { kg: null, state: 'offline' };
  private lastStableKg: number | undefined;
  private readonly watchdog: NodeJS.Timeout;

  constructor(
    readonly id: string,
    private readonly driver: ScaleDriver,
    rules: WeighingRules,
    maxLiveHz: number,
    private readonly now: () => number = Date.now,
  ) {
    super();
    this.machine = new WeighingStateMachine(rules);
    this.throttle = new LiveThrottle(maxLiveHz, (v) => this.emit('live', v));
    driver.on('reading', (reading) => this.onReading(reading));
    driver.on('frameError', (err) => this.onFrameError(err));
    driver.on('link', (state, detail) => {
      this.linkOpen = state === 'open';
      if (this.linkOpen) this.linkOpenedAt = this.now();
      else {
        this.lastErrorDetail = detail;
        this.lastStableKg = undefined;
        this.setLive({ kg: null, state: 'offline' });
      }
      this.updateState();
    });
    this.watchdog = setInterval(() => this.updateState(), 1000);
    this.watchdog.unref();
  }

  start(): void {
    this.driver.start();
  }

  async stop(): Promise<void> {
    clearInterval(this.watchdog);
    this.throttle.stop();
    await this.driver.stop();
  }

  get live(): LiveValue {
    return this.latestLive;
  }

  get errors(): number {
    return this.totalErrors;
  }

  get phase() {
    return this.machine.phase;
  }

  health(): DeviceState {
    const state: DeviceState = {
      state: this.stateValue,
      lastReadingAt: this.lastReadingAt === null ? null : new Date(this.lastReadingAt).toISOString(),
      consecutiveErrors: this.consecutiveErrors,
    };
    if (this.stateValue !== 'ok' && this.lastErrorDetail) state.detail = this.lastErrorDetail.slice(0, 500);
    return state;
  }

  private onReading(reading: ScaleReading): void {
    const at = this.now();
    this.lastReadingAt = at;
    this.consecutiveErrors = 0;
    const phaseBefore = this.machine.phase;
    const load = this.machine.onReading(reading);
    if (phaseBefore === 'waiting-for-zero' && this.machine.phase === 'armed') this.emit('emptied');
    if (load) this.emit('weighing', load, at);
    if (reading.kind === 'mass' && reading.stable) {
      if (reading.kg !== this.lastStableKg) this.emit('settled', loadOf(reading), at);
      this.lastStableKg = reading.kg;
    } else this.lastStableKg = undefined;
    this.setLive(liveOf(reading));
    this.updateState();
  }

  private onFrameError(err: FrameError): void {
    this.consecutiveErrors++;
    this.totalErrors++;
    this.lastErrorDetail = `${err.reason}: ${err.raw.slice(0, 80)}`;
    this.updateState();
  }

  private setLive(value: LiveValue): void {
    this.latestLive = value;
    this.throttle.push(value);
  }

  private updateState(): void {
    let next: DeviceState['state'];
    if (!this.linkOpen) next = 'offline';
    else if (this.consecutiveErrors >= DEGRADED_AFTER_ERRORS) next = 'degraded';
    // A scale streams continuously: silence since the link opened (or since the last reading) is a fault.
    else if (this.now() - Math.max(this.lastReadingAt ?? 0, this.linkOpenedAt) > SILENCE_MS) {
      next = 'degraded';
      this.lastErrorDetail = 'no reading from the scale';
    } else next = 'ok';
    if (next === this.stateValue) return;
    this.stateValue = next;
    this.emit('state', this.health());
  }
}
