import { EventEmitter } from 'node:events';
import {
  counterModulo,
  serialCounterConfigSchema,
  type SerialCounterConfig,
  type SerialCounterConfigInput,
} from '../../edge-agent/drivers/serial-counter/config.js';
import { seededRandom, type ByteSink, type SimulatedDevice } from '../common/sim-device.js';
import { encodeSerialCounterFrame } from './serial-counter-frames.js';

export interface SimulatedSerialCounterOptions {
  /** Frame layout, as the driver's `serialCounter:` block (default: the driver's default layout). */
  layout?: SerialCounterConfigInput;
  /** One frame every intervalMs once started (default 1000 ms). */
  intervalMs?: number;
  /** Customers per open day (default 185: docs/domain.md, 41 116 a year over ≈ 222 open days). */
  customersPerDay?: number;
  /** Hours a day over which they come (default 7). */
  openHours?: number;
  /** Mean stay in the shop, in minutes (default 20): each customer goes out once it is over. */
  meanStayMinutes?: number;
  /** Simulated seconds per real second (default 1); tests and demos speed the day up. */
  timeScale?: number;
  /** Raw counts when the simulation begins, e.g. just below the modulo to see a wrap soon. */
  initial?: { in: number; out: number };
  seed?: number;
}

export interface SimulatedSerialCounterEvents {
  /** Every frame written, with the raw counts it carries. */
  frame: [frame: Buffer, counts: { in: number; out: number }];
}

/**
 * The twin of the `serial-counter` driver: a door counter at a shop entrance, streaming its raw
 * cumulative counts every intervalMs. Customers arrive as a Poisson process at the shop's daily rate
 * and leave after an exponential stay. The counters wrap at the modulo, and a power cut resets them
 * to 0; passages while the power is off are not counted (the device cannot see them).
 */
export class SimulatedSerialCounter extends EventEmitter<SimulatedSerialCounterEvents> implements SimulatedDevice {
  readonly layout: SerialCounterConfig;
  readonly modulo: number;
  private readonly intervalMs: number;
  private readonly arrivalsPerSecond: number;
  private readonly meanStayS: number;
  private readonly timeScale: number;
  private readonly random: () => number;
  private sink: ByteSink | undefined;
  private timer: NodeJS.Timeout | undefined;
  private powered = true;
  private shopOpen = true;
  private rawIn: number;
  private rawOut: number;
  private countedIn = 0;
  private countedOut = 0;
  /** Simulated seconds since the start, and when the next customer comes and each one inside leaves. */
  private simS = 0;
  private nextArrivalS: number;
  private leaving: number[] = [];

  constructor(options: SimulatedSerialCounterOptions = {}) {
    super();
    this.layout = serialCounterConfigSchema.parse(options.layout ?? {});
    this.modulo = counterModulo(this.layout);
    this.intervalMs = options.intervalMs ?? 1000;
    this.arrivalsPerSecond = (options.customersPerDay ?? 185) / ((options.openHours ?? 7) * 3600);
    this.meanStayS = (options.meanStayMinutes ?? 20) * 60;
    this.timeScale = options.timeScale ?? 1;
    this.random = seededRandom(options.seed ?? 1);
    this.rawIn = options.initial?.in ?? 0;
    this.rawOut = options.initial?.out ?? 0;
    if (this.rawIn >= this.modulo || this.rawOut >= this.modulo) throw new RangeError(`initial counts must be below ${this.modulo}`);
    this.nextArrivalS = this.exponential(1 / this.arrivalsPerSecond);
  }

  /** What the device shows now. */
  get raw(): { in: number; out: number } {
    return { in: this.rawIn, out: this.rawOut };
  }

  /** Passages the device counted since the simulation began: what the agent must find, exactly. */
  get counted(): { in: number; out: number } {
    return { in: this.countedIn, out: this.countedOut };
  }

  /** Customers in the shop now. */
  get inside(): number {
    return this.leaving.length;
  }

  get isPowered(): boolean {
    return this.powered;
  }

  /** Opens or closes the shop: closed, nobody comes in, and those inside still leave. */
  setOpen(open: boolean): void {
    if (open && !this.shopOpen) this.nextArrivalS = this.simS + this.exponential(1 / this.arrivalsPerSecond);
    this.shopOpen = open;
  }

  setSink(sink: ByteSink | undefined): void {
    this.sink = sink;
  }

  /** A streaming counter takes no commands. */
  receive(): void {}

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Lets intervalMs of (scaled) time pass, then sends a frame. */
  tick(): void {
    this.advance((this.intervalMs / 1000) * this.timeScale);
    this.sendFrame();
  }

  /** Lets `seconds` of simulated time pass: arrivals and departures, counted if the power is on. */
  advance(seconds: number): void {
    const end = this.simS + seconds;
    for (;;) {
      const nextLeave = this.leaving.length ? Math.min(...this.leaving) : Infinity;
      const nextArrival = this.shopOpen ? this.nextArrivalS : Infinity;
      const next = Math.min(nextArrival, nextLeave);
      if (next > end) break;
      this.simS = next;
      if (next === nextArrival) {
        this.leaving.push(next + this.exponential(this.meanStayS));
        this.nextArrivalS = next + this.exponential(1 / this.arrivalsPerSecond);
        this.walkIn();
      } else {
        this.leaving.splice(this.leaving.indexOf(next), 1);
        this.walkOut();
      }
    }
    this.simS = end;
  }

  /** People passing the door inwards now (beyond the simulated customers). */
  walkIn(n = 1): void {
    if (!this.powered) return;
    this.rawIn = (this.rawIn + n) % this.modulo;
    this.countedIn += n;
  }

  walkOut(n = 1): void {
    if (!this.powered) return;
    this.rawOut = (this.rawOut + n) % this.modulo;
    this.countedOut += n;
  }

  /** The power goes: no frames, no counting, and the counters are lost. */
  powerCut(): void {
    this.powered = false;
    this.rawIn = 0;
    this.rawOut = 0;
  }

  /** The power is back: counting restarts from 0. */
  powerOn(): void {
    this.powered = true;
  }

  /** Writes the frame of the current counts (nothing while the power is off) and returns it. */
  sendFrame(): Buffer | undefined {
    if (!this.powered) return undefined;
    const counts = this.raw;
    const frame = encodeSerialCounterFrame(counts, this.layout);
    this.sink?.write(frame);
    this.emit('frame', frame, counts);
    return frame;
  }

  /** Writes bytes as they are (line noise, a cut frame) between frames. */
  sendRaw(bytes: Buffer | string): void {
    this.sink?.write(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'latin1'));
  }

  private exponential(mean: number): number {
    return -Math.log(1 - this.random()) * mean;
  }
}
