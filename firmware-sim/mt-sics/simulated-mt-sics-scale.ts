import type { ScaleDisplay } from '../common/scale-model.js';
import type { ByteSink } from '../common/sim-device.js';
import { SimulatedScaleBase, type SimulatedScaleBaseOptions } from '../common/simulated-scale-base.js';
import { withParity } from '../stgs/stgs-frames.js';
import { encodeMtSicsReply, type MtSicsReplyFields } from './mt-sics-frames.js';

/** Faults a test or a chaos run turns on and off while the twin runs (see `faults`). */
export interface MtSicsFaults {
  /** Every reply leaves this long after its request (default 0). */
  replyDelayMs: number;
  /** The balance hears commands but never answers (default false). */
  dead: boolean;
  /** Written just before each reply, on the same line (default none). */
  garbageBeforeReply: Buffer | undefined;
}

export interface SimulatedMtSicsScaleOptions extends SimulatedScaleBaseOptions, Partial<MtSicsFaults> {
  /** What `I4` and `@` answer (default 0123456789). */
  serial?: string;
  /** Powers up, with its `I4 A "<serial>"` line, each time it is plugged in (default false). */
  bannerOnConnect?: boolean;
  /** Sets bit 7 as a 7E1/7O1 line would (default none). */
  parity?: 'none' | 'even' | 'odd';
}

/** The commands a twin remembers, for tests that check the host kept asking. */
const REMEMBERED_COMMANDS = 100;

/**
 * The twin of the `mt-sics` driver: a Mettler Toledo balance answering MT-SICS commands (CR LF-terminated):
 * `S`, `SI`, `SIR` (repeats every intervalMs until `S`, `SI` or `@`), `Z`, `T`, `@`, `I4`; anything else
 * gets `ES`. Zero and tare act at once rather than waiting for stability.
 */
export class SimulatedMtSicsScale extends SimulatedScaleBase {
  readonly faults: MtSicsFaults;
  /** The last commands received, oldest first. */
  readonly received: string[] = [];
  private readonly serial: string;
  private readonly bannerOnConnect: boolean;
  private readonly parity: 'none' | 'even' | 'odd';
  private readonly delayed = new Set<NodeJS.Timeout>();
  private commandBuffer = '';

  constructor(options: SimulatedMtSicsScaleOptions = {}) {
    const { serial = '0123456789', bannerOnConnect = false, parity = 'none', replyDelayMs = 0, dead = false, garbageBeforeReply, ...base } = options;
    super(base);
    this.serial = serial;
    this.bannerOnConnect = bannerOnConnect;
    this.parity = parity;
    this.faults = { replyDelayMs, dead, garbageBeforeReply };
  }

  override setSink(sink: ByteSink | undefined): void {
    super.setSink(sink);
    if (sink && this.bannerOnConnect) this.powerUp();
  }

  /** A restart: repeating stops, the tare is gone, and the balance says who it is. */
  powerUp(): void {
    this.stopRepeating();
    this.model.clearTare();
    this.reply({ reply: 'identification', serial: this.serial });
  }

  /** Stops repeating and drops replies still waiting for their delay. */
  override stop(): void {
    this.stopRepeating();
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
  }

  /** One weight reply of the current display, as SIR repeats it. */
  override tick(): Buffer {
    const display = this.model.display();
    const frame = this.encode(display);
    this.deliver(frame, display);
    return frame;
  }

  protected encode(d: ScaleDisplay): Buffer {
    if (d.status === 'overload') return encodeMtSicsReply({ reply: 'weight-status', status: '+' });
    if (d.status === 'underload') return encodeMtSicsReply({ reply: 'weight-status', status: '-' });
    return encodeMtSicsReply({ reply: 'weight', stable: d.status === 'stable', value: d.value!, unit: d.unit, decimals: d.decimals });
  }

  /** Bytes from the host: CR LF-terminated commands. */
  receive(chunk: Buffer): void {
    this.commandBuffer = (this.commandBuffer + chunk.toString('latin1')).slice(-256);
    let end: number;
    while ((end = this.commandBuffer.indexOf('\r\n')) >= 0) {
      const command = this.commandBuffer.slice(0, end).trim();
      this.commandBuffer = this.commandBuffer.slice(end + 2);
      if (command) this.handle(command);
    }
  }

  private handle(command: string): void {
    this.received.push(command);
    if (this.received.length > REMEMBERED_COMMANDS) this.received.shift();
    const display = this.model.display();
    switch (command) {
      case 'SI':
        this.stopRepeating();
        this.tick();
        return;
      case 'S':
        this.stopRepeating();
        if (display.status === 'unstable') this.reply({ reply: 'weight-status', status: 'I' });
        else this.tick();
        return;
      case 'SIR':
        this.tick();
        this.start();
        return;
      case '@':
        this.stopRepeating();
        this.model.clearTare();
        this.reply({ reply: 'identification', serial: this.serial });
        return;
      case 'I4':
        this.reply({ reply: 'identification', serial: this.serial });
        return;
      case 'Z':
        if (display.status === 'overload') return this.reply({ reply: 'refused', command: 'Z', status: '+' });
        this.model.zero();
        return this.reply({ reply: 'zeroed' });
      case 'T': {
        if (display.status === 'overload') return this.reply({ reply: 'refused', command: 'T', status: '+' });
        this.model.tare();
        const { tare, unit, decimals } = this.model.display();
        return this.reply({ reply: 'tare', value: tare, unit, decimals });
      }
      default:
        this.reply({ reply: 'error', code: 'ES' });
    }
  }

  private stopRepeating(): void {
    super.stop();
  }

  private reply(fields: MtSicsReplyFields): void {
    this.deliver(encodeMtSicsReply(fields));
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
