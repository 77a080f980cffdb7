import { CommandLines } from '../common/command-lines.js';
import type { ScaleDisplay } from '../common/scale-model.js';
import { SimulatedRequestReplyScale, type SimulatedRequestReplyScaleOptions } from '../common/simulated-scale-base.js';
import { encodeOhausLine } from './ohaus-frames.js';

/**
 * The twin of the `ohaus` driver: an Ohaus balance answering its RS-232 commands (CR LF): `IP` and `P` print
 * the weight, `CP` prints it every intervalMs until `0P`, `Z` zeroes and `T` tares (each answered `OK!`);
 * anything else gets `ES`. Over capacity it prints `OL`.
 */
export class SimulatedOhausScale extends SimulatedRequestReplyScale {
  private readonly commandLines = new CommandLines('\r\n', (command) => this.handle(command.trim()));

  constructor(options: SimulatedRequestReplyScaleOptions = {}) {
    super(options);
  }

  protected encode(d: ScaleDisplay): Buffer {
    if (d.status === 'overload' || d.status === 'underload' || d.value === undefined) return Buffer.from('         OL\r\n', 'latin1');
    return encodeOhausLine({ stable: d.status === 'stable', value: d.value, unit: d.unit, decimals: d.decimals, net: d.net });
  }

  receive(chunk: Buffer): void {
    this.commandLines.push(chunk);
  }

  private handle(command: string): void {
    this.remember(command);
    if (command !== 'CP') this.stopRepeating();
    switch (command) {
      case 'IP':
      case 'P':
        this.tick();
        return;
      case 'CP':
        this.tick();
        this.start();
        return;
      case '0P':
        return;
      case 'Z':
        this.model.zero();
        this.deliver(Buffer.from('OK!\r\n', 'latin1'));
        return;
      case 'T':
        this.model.tare();
        this.deliver(Buffer.from('OK!\r\n', 'latin1'));
        return;
      default:
        this.deliver(Buffer.from('ES\r\n', 'latin1'));
    }
  }
}
