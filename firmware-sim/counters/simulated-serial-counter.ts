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
  /** Share of the day's customers in each open hour (as many as openHours); default the same every hour. */
  hourlyShares?: readonly number[];
  /** Hours the shop stays shut between two open days (default 0: open days back to back). */
  closedHours?: number;
  /** Customers already at the door at each opening: they come in over its first three minutes. */
  waitingAtOpening?: number;
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
 * cumulative counts every intervalMs. The simulation begins at an opening. Customers arrive as a Poisson
 * process at each open hour's rate (its share of the day's customers), none while the shop is shut, and
 * leave after an exponential stay. The counters wrap at the modulo, and a power cut resets them
 * to 0; passages while the power is off are not counted (the device cannot see them).
 */
export class SimulatedSerialCounter extends EventEmitter<SimulatedSerialCounterEvents> implements SimulatedDevice {
  readonly layout: SerialCounterConfig;
  readonly modulo: number;
  private readonly intervalMs: number;
  private readonly customersPerDay: number;
  private readonly openS: number;
  private readonly cycleS: number;
  private readonly hourlyShares: readonly number[];
  private readonly waitingAtOpening: number;
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
  /** The queue of the next opening not reached yet, and the arrival times of a queue coming in. */
  private nextOpeningS = 0;
  private queue: number[] = [];

  constructor(options: SimulatedSerialCounterOptions = {}) {
    super();
    this.layout = serialCounterConfigSchema.parse(options.layout ?? {});
    this.modulo = counterModulo(this.layout);
    this.intervalMs = options.intervalMs ?? 1000;
    const openHours = options.openHours ?? 7;
    this.customersPerDay = options.customersPerDay ?? 185;
    this.openS = openHours * 3600;
    this.cycleS = (openHours + (options.closedHours ?? 0)) * 3600;
    const shares = options.hourlyShares ?? Array.from({ length: Math.ceil(openHours) }, () => 1);
    if (shares.length !== Math.ceil(openHours)) throw new RangeError(`hourlyShares needs one share per open hour (${Math.ceil(openHours)})`);
    const total = shares.reduce((a, b) => a + b, 0);
    this.hourlyShares = shares.map((x) => x / total);
    this.waitingAtOpening = options.waitingAtOpening ?? 0;
    this.meanStayS = (options.meanStayMinutes ?? 20) * 60;
    this.timeScale = options.timeScale ?? 1;
    this.random = seededRandom(options.seed ?? 1);
    this.rawIn = options.initial?.in ?? 0;
    this.rawOut = options.initial?.out ?? 0;
    if (this.rawIn >= this.modulo || this.rawOut >= this.modulo) throw new RangeError(`initial counts must be below ${this.modulo}`);
    this.nextArrivalS = this.nextArrivalAfter(0);
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
    if (open && !this.shopOpen) {
      this.nextArrivalS = this.nextArrivalAfter(this.simS);
      // Those who came to the opening while it was shut walk in now, not back in time.
      this.queue = this.queue.map((t) => Math.max(t, this.simS));
    }
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
      if (this.nextOpeningS <= end && !this.queue.length) {
        const opening = this.nextOpeningS;
        this.queue = Array.from({ length: this.waitingAtOpening }, () => opening + this.random() * 180).sort((a, b) => a - b);
        this.nextOpeningS += this.cycleS;
      }
      const nextLeave = this.leaving.length ? Math.min(...this.leaving) : Infinity;
      const nextArrival = this.shopOpen ? Math.min(this.nextArrivalS, this.queue[0] ?? Infinity) : Infinity;
      const next = Math.min(nextArrival, nextLeave);
      if (next > end) break;
      this.simS = next;
      if (next === nextArrival) {
        this.leaving.push(next + this.exponential(this.meanStayS));
        if (next === this.queue[0]) this.queue.shift();
        else this.nextArrivalS = this.nextArrivalAfter(next);
        this.walkIn();
      } else {
        this.leaving.splice(this.leaving.indexOf(next), 1);
        this.walkOut();
      }
    }
    this.simS = end;
  }

  /**
   * The next Poisson arrival after `t`, the rate being constant within an open hour and zero while shut: an
   * arrival drawn past the end of its hour is drawn again from there (the process has no memory).
   */
  private nextArrivalAfter(t: number): number {
    for (let hours = 0; hours < 24 * 366; hours++) {
      const inCycle = t % this.cycleS;
      const hour = Math.floor(inCycle / 3600);
      const open = inCycle < this.openS;
      const segmentEnd = t - inCycle + (open ? Math.min((hour + 1) * 3600, this.openS) : this.cycleS);
      const rate = open ? (this.customersPerDay * this.hourlyShares[hour]!) / 3600 : 0;
      if (rate > 0) {
        const at = t + this.exponential(1 / rate);
        if (at < segmentEnd) return at;
      }
      t = segmentEnd;
    }
    return Infinity;
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
