import type { ScaleDisplay } from '../common/scale-model.js';
import type { ByteSink } from '../common/sim-device.js';
import { SimulatedScaleBase, type SimulatedScaleBaseOptions } from '../common/simulated-scale-base.js';
import { withParity } from '../stgs/stgs-frames.js';
import { encodeSmaReply, encodeSmaUnrecognized, type SmaReplyFields } from './sma-frames.js';

/** Faults a test or a chaos run turns on and off while the twin runs (see `faults`). */
export interface SmaFaults {
  /** Every reply leaves this long after its request (default 0). */
  replyDelayMs: number;
  /** The scale hears commands but never answers (default false). */
  dead: boolean;
  /** Written just before each reply, outside its LF…CR (default none). */
  garbageBeforeReply: Buffer | undefined;
}

export interface SimulatedSmaScaleOptions extends SimulatedScaleBaseOptions, Partial<SmaFaults> {
  /** Written each time the scale is plugged in, as indicators print a start-up line (default none). */
  banner?: string;
  /** Sets bit 7 as a 7E1/7O1 line would (default none). */
  parity?: 'none' | 'even' | 'odd';
}

/** The commands a twin remembers, for tests that check the host kept asking. */
const REMEMBERED_COMMANDS = 100;

/**
 * The twin of the `sma` driver: a scale answering SMA SCP-0499 commands (`<LF>c<CR>`): `W` weight, `Z` zero,
 * `T` tare, `C` clear tare, `M` stored tare, `R` repeat every intervalMs until another command; anything else
 * gets `<LF>?<CR>`. Zero and tare act at once rather than waiting for standstill.
 */
export class SimulatedSmaScale extends SimulatedScaleBase {
  readonly faults: SmaFaults;
  /** The last commands received, oldest first. */
  readonly received: string[] = [];
  private readonly banner: string | undefined;
  private readonly parity: 'none' | 'even' | 'odd';
  private readonly delayed = new Set<NodeJS.Timeout>();
  private commandBuffer = '';

  constructor(options: SimulatedSmaScaleOptions = {}) {
    const { banner, parity = 'none', replyDelayMs = 0, dead = false, garbageBeforeReply, ...base } = options;
    super(base);
    this.banner = banner;
    this.parity = parity;
    this.faults = { replyDelayMs, dead, garbageBeforeReply };
  }

  override setSink(sink: ByteSink | undefined): void {
    super.setSink(sink);
    if (sink && this.banner && !this.faults.dead) this.sendRaw(this.banner);
  }

  /** Stops repeating and drops replies still waiting for their delay. */
  override stop(): void {
    this.stopRepeating();
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
  }

  /** One standard reply of the current display, as W answers and R repeats it. */
  override tick(): Buffer {
    const display = this.model.display();
    const frame = this.encode(display);
    this.deliver(frame, display);
    return frame;
  }

  protected encode(d: ScaleDisplay): Buffer {
    return encodeSmaReply(this.fieldsOf(d));
  }

  /** Bytes from the host: `<LF>c<CR>` commands; bytes before the LF are line noise. */
  receive(chunk: Buffer): void {
    this.commandBuffer = (this.commandBuffer + chunk.toString('latin1')).slice(-256);
    let end: number;
    while ((end = this.commandBuffer.indexOf('\r')) >= 0) {
      const frame = this.commandBuffer.slice(0, end);
      this.commandBuffer = this.commandBuffer.slice(end + 1);
      const start = frame.lastIndexOf('\n');
      if (start >= 0) this.handle(frame.slice(start + 1));
    }
  }

  private handle(command: string): void {
    this.received.push(command);
    if (this.received.length > REMEMBERED_COMMANDS) this.received.shift();
    if (command !== 'R') this.stopRepeating();
    const display = this.model.display();
    switch (command) {
      case 'W':
        this.tick();
        return;
      case 'R':
        this.tick();
        this.start();
        return;
      case 'Z':
        if (display.status === 'overload') return this.reply({ ...this.fieldsOf(display), status: 'zero-error' });
        this.model.zero();
        this.tick();
        return;
      case 'T':
        if (display.status === 'overload') return this.reply({ ...this.fieldsOf(display), status: 'tare-error' });
        this.model.tare();
        this.tick();
        return;
      case 'C':
        this.model.clearTare();
        this.tick();
        return;
      case 'M':
        return this.reply({ ...this.fieldsOf(display), status: 'none', mode: 'tare', motion: false, value: display.tare });
      default:
        this.deliver(encodeSmaUnrecognized());
    }
  }

  private fieldsOf(d: ScaleDisplay): SmaReplyFields {
    const status = d.status === 'overload' ? 'over' : d.status === 'underload' ? 'under' : !d.net && d.value === 0 ? 'zero' : 'none';
    return {
      status,
      mode: d.net ? 'net' : 'gross',
      motion: d.status === 'unstable',
      value: d.value,
      unit: d.unit,
      decimals: d.decimals,
    };
  }

  private stopRepeating(): void {
    super.stop();
  }

  private reply(fields: SmaReplyFields): void {
    this.deliver(encodeSmaReply(fields));
  }

  /** Every reply goes out through the faults; a weight reply also as a frame of `display` (firstStableFrame). */
  private deliver(frame: Buffer, display?: ScaleDisplay): void {
    if (this.faults.dead) return;
    const go = (): void => {
      if (this.faults.garbageBeforeReply) this.sendRaw(this.faults.garbageBeforeReply);
      const bytes = this.parity === 'none' ? frame : withParity(frame, this.parity);
      if (display) this.send(display, bytes);
      else this.sendRaw(bytes);
    };
    if (this.faults.replyDelayMs <= 0) return go();
    const timer = setTimeout(() => {
      this.delayed.delete(timer);
      go();
    }, this.faults.replyDelayMs);
    this.delayed.add(timer);
  }
}
