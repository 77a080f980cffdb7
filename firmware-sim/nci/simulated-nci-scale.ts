import { CommandLines } from '../common/command-lines.js';
import type { ScaleDisplay } from '../common/scale-model.js';
import { SimulatedRequestReplyScale, type SimulatedRequestReplyScaleOptions } from '../common/simulated-scale-base.js';
import { encodeNciReply, type NciReplyFields } from './nci-frames.js';

/**
 * The twin of the `nci` driver: a scale answering SCP-12 commands (each ending in CR): `W` weight and status,
 * `S` status, `Z` zero and `T` tare (then the status); anything else gets `<LF>?<CR><ETX>`. `fault` sets
 * one of the status bytes' fault bits, as a scale whose EEPROM or calibration has failed.
 */
export class SimulatedNciScale extends SimulatedRequestReplyScale {
  fault: NciReplyFields['fault'];
  private readonly commandLines = new CommandLines('\r', (command) => this.handle(command.trim()));

  constructor(options: SimulatedRequestReplyScaleOptions = {}) {
    super(options);
  }

  protected encode(d: ScaleDisplay): Buffer {
    return encodeNciReply(this.fieldsOf(d));
  }

  receive(chunk: Buffer): void {
    this.commandLines.push(chunk);
  }

  private handle(command: string): void {
    this.remember(command);
    const display = this.model.display();
    switch (command) {
      case 'W':
        this.tick();
        return;
      case 'S':
        return this.statusReply(display);
      case 'Z':
        this.model.zero();
        return this.statusReply(this.model.display());
      case 'T':
        this.model.tare();
        return this.statusReply(this.model.display());
      default:
        this.deliver(Buffer.from('\n?\r\x03', 'latin1'));
    }
  }

  /** The reply to S, Z and T: the status bytes alone. */
  private statusReply(d: ScaleDisplay): void {
    this.deliver(encodeNciReply({ ...this.fieldsOf(d), value: undefined, overCapacity: false, underCapacity: false }));
  }

  private fieldsOf(d: ScaleDisplay): NciReplyFields {
    return {
      motion: d.status === 'unstable',
      atZero: d.value === 0,
      overCapacity: d.status === 'overload',
      underCapacity: d.status === 'underload',
      net: d.net,
      fault: this.fault,
      value: d.value,
      unit: d.unit,
      decimals: d.decimals,
    };
  }
}
