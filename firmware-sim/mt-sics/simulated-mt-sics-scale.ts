import { CommandLines } from '../common/command-lines.js';
import type { ScaleDisplay } from '../common/scale-model.js';
import type { ByteSink } from '../common/sim-device.js';
import { SimulatedRequestReplyScale, type SimulatedRequestReplyScaleOptions } from '../common/simulated-scale-base.js';
import { encodeMtSicsReply, type MtSicsReplyFields } from './mt-sics-frames.js';

export interface SimulatedMtSicsScaleOptions extends SimulatedRequestReplyScaleOptions {
  /** What `I4` and `@` answer (default 0123456789). */
  serial?: string;
  /** Powers up, with its `I4 A "<serial>"` line, each time it is plugged in (default false). */
  bannerOnConnect?: boolean;
}

/**
 * The twin of the `mt-sics` driver: a Mettler Toledo balance answering MT-SICS commands (CR LF-terminated):
 * `S`, `SI`, `SIR` (repeats every intervalMs until `S`, `SI` or `@`), `Z`, `T`, `@`, `I4`; anything else
 * gets `ES`. Zero and tare act at once rather than waiting for stability. Garbage before a reply
 * (`faults`) lands on the same line.
 */
export class SimulatedMtSicsScale extends SimulatedRequestReplyScale {
  private readonly serial: string;
  private readonly bannerOnConnect: boolean;
  /** CR LF-terminated commands from the host. */
  private readonly commandLines = new CommandLines('\r\n', (line) => {
    const command = line.trim();
    if (command) this.handle(command);
  });

  constructor(options: SimulatedMtSicsScaleOptions = {}) {
    const { serial = '0123456789', bannerOnConnect = false, ...base } = options;
    super(base);
    this.serial = serial;
    this.bannerOnConnect = bannerOnConnect;
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

  protected encode(d: ScaleDisplay): Buffer {
    if (d.status === 'overload') return encodeMtSicsReply({ reply: 'weight-status', status: '+' });
    if (d.status === 'underload') return encodeMtSicsReply({ reply: 'weight-status', status: '-' });
    return encodeMtSicsReply({ reply: 'weight', stable: d.status === 'stable', value: d.value!, unit: d.unit, decimals: d.decimals });
  }

  /** Bytes from the host: CR LF-terminated commands. */
  receive(chunk: Buffer): void {
    this.commandLines.push(chunk);
  }

  private handle(command: string): void {
    this.remember(command);
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

  private reply(fields: MtSicsReplyFields): void {
    this.deliver(encodeMtSicsReply(fields));
  }
}
