import { EventEmitter } from 'node:events';
import type { StgsFrameFormat } from '../edge-agent/drivers/stgs/config.js';
import { KG_PER_UNIT, roundTo, type MassUnit } from '../protocol/units.js';
import { encodeStgsFrame, withParity, type StgsFrameFields } from './stgs-frames.js';

/** Where a simulated device writes its bytes: a serial port, a socket, a TCP server broadcasting… */
export interface ByteSink {
  write(chunk: Buffer): unknown;
}

/** A simulated device as the pty pair and the TCP server see it: bytes out to a sink, commands in. */
export interface SimulatedDevice {
  setSink(sink: ByteSink | undefined): void;
  receive(chunk: Buffer): void;
}

/** mulberry32: a tiny seeded generator in [0, 1), so that a simulated day replays identically. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface SimulatedScaleOptions {
  /** Wire format (default ad-indicator). */
  format?: StgsFrameFormat;
  /** Display unit (default kg); load() always takes kilograms. */
  unit?: MassUnit;
  /** Digits after the point in the display unit (default 2). */
  decimals?: number;
  /** Above this gross the scale shows overload (default 150 kg). */
  capacityKg?: number;
  /** One frame every intervalMs (default 100: 10 Hz). */
  intervalMs?: number;
  /** Motion after a load change lasts a random time in this range (default 600–1500 ms). */
  settleMs?: [min: number, max: number];
  /** Smallest motion amplitude (default 0.05 kg); a big load change swings by 10 % of the change. */
  noiseKg?: number;
  /** Sets bit 7 as a 7E1/7O1 line would (default none). */
  parity?: 'none' | 'even' | 'odd';
  /** CAS device id and Dini address, as the frames carry them. */
  deviceId?: number;
  address?: number;
  rng?: () => number;
  now?: () => number;
}

export interface SimulatedScaleEvents {
  /** Every frame written, with what it says. */
  frame: [frame: Buffer, fields: StgsFrameFields];
  /** The first stable frame after a load change: what a latency benchmark measures from. */
  firstStableFrame: [kg: number, at: number];
}

/**
 * A platform scale with an ST,GS-family indicator: a load on the platter moves the display (noisy,
 * unstable frames) for a settle time, then it reads the load exactly and stably. Frames go to the sink
 * every intervalMs once started; tick() produces one on demand for tests. Answers Z (zero) and T (tare).
 */
export class SimulatedScale extends EventEmitter<SimulatedScaleEvents> implements SimulatedDevice {
  private readonly opts: Required<Omit<SimulatedScaleOptions, 'deviceId' | 'address'>> &
    Pick<SimulatedScaleOptions, 'deviceId' | 'address'>;
  private sink: ByteSink | undefined;
  private timer: NodeJS.Timeout | undefined;
  private loadKg = 0;
  private zeroKg = 0;
  private tareKg = 0;
  private overloadForced = false;
  private settleUntil = 0;
  private amplitudeKg = 0;
  private motionStart = 0;
  private awaitingStable = false;
  private commandBuffer = '';

  constructor(options: SimulatedScaleOptions = {}) {
    super();
    this.opts = {
      format: 'ad-indicator',
      unit: 'kg',
      decimals: 2,
      capacityKg: 150,
      intervalMs: 100,
      settleMs: [600, 1500],
      noiseKg: 0.05,
      parity: 'none',
      rng: Math.random,
      now: Date.now,
      ...options,
    };
  }

  /** Kilograms on the platter. */
  get platterKg(): number {
    return this.loadKg;
  }

  setSink(sink: ByteSink | undefined): void {
    this.sink = sink;
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.opts.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
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

  /** Bytes from the host: CR LF-terminated commands, `Z` zero and `T` tare; others are ignored as a scale would. */
  receive(chunk: Buffer): void {
    this.commandBuffer = (this.commandBuffer + chunk.toString('latin1')).slice(-256);
    let end: number;
    while ((end = this.commandBuffer.indexOf('\r\n')) >= 0) {
      const command = this.commandBuffer.slice(0, end).trim();
      this.commandBuffer = this.commandBuffer.slice(end + 2);
      if (command === 'Z') this.zeroKg = this.loadKg;
      else if (command === 'T') this.tareKg = this.loadKg - this.zeroKg;
    }
  }

  /** Writes bytes as they are (garbage, a power-up banner) between frames. */
  sendRaw(bytes: Buffer | string): void {
    this.sink?.write(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'latin1'));
  }

  /** Builds the current frame, writes it to the sink and returns it. */
  tick(): Buffer {
    const fields = this.currentFields();
    const encoded = encodeStgsFrame(this.opts.format, fields);
    const frame = this.opts.parity === 'none' ? encoded : withParity(encoded, this.opts.parity);
    this.sink?.write(frame);
    this.emit('frame', frame, fields);
    if (fields.status === 'stable' && this.awaitingStable) {
      this.awaitingStable = false;
      this.emit('firstStableFrame', roundTo(fields.value! * KG_PER_UNIT[this.opts.unit], 6), this.opts.now());
    }
    return frame;
  }

  private change(deltaKg: number): void {
    const [min, max] = this.opts.settleMs;
    this.loadKg = Math.max(0, this.loadKg + deltaKg);
    this.motionStart = this.opts.now();
    this.settleUntil = this.motionStart + min + this.opts.rng() * (max - min);
    this.amplitudeKg = Math.max(this.opts.noiseKg, Math.abs(deltaKg) * 0.1);
    this.awaitingStable = true;
  }

  private currentFields(): StgsFrameFields {
    const { unit, decimals, capacityKg, deviceId, address } = this.opts;
    const grossKg = this.loadKg - this.zeroKg;
    // A&D balances show net after a tare with no net marker on the wire.
    const net = this.tareKg !== 0 && this.opts.format !== 'ad-balance';
    const base = { unit, decimals, deviceId, address, mode: net ? ('net' as const) : ('gross' as const) };
    if (this.overloadForced || grossKg > capacityKg) return { ...base, status: 'overload' };
    let kg = grossKg - this.tareKg;
    const now = this.opts.now();
    const moving = now < this.settleUntil;
    if (moving) {
      // The swing dies down as the platter settles.
      const left = (this.settleUntil - now) / (this.settleUntil - this.motionStart);
      kg += this.amplitudeKg * left * (2 * this.opts.rng() - 1);
    }
    const value = roundTo(kg / KG_PER_UNIT[unit], decimals);
    return { ...base, status: moving ? 'unstable' : 'stable', value: value === 0 ? 0 : value };
  }
}
