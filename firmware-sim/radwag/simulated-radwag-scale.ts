import { CommandLines } from '../common/command-lines.js';
import type { ScaleDisplay } from '../common/scale-model.js';
import { SimulatedRequestReplyScale, type SimulatedRequestReplyScaleOptions } from '../common/simulated-scale-base.js';
import { encodeRadwagResult, encodeRadwagStatus, type RadwagResultFields } from './radwag-frames.js';

/**
 * The twin of the `radwag` driver: a Radwag balance answering its RS-232 commands (CR LF): `SI` and `S` the
 * result (immediate, or when stable), `Z` zero and `T` tare (`A` then `D`, or `I` while overloaded), `C1`
 * repeating the result every intervalMs until `C0`; anything else gets `ES`. Zero and tare act at once
 * rather than waiting for a stable pan.
 */
export class SimulatedRadwagScale extends SimulatedRequestReplyScale {
  private readonly commandLines = new CommandLines('\r\n', (command) => this.handle(command.trim()));

  constructor(options: SimulatedRequestReplyScaleOptions = {}) {
    super(options);
  }

  protected encode(d: ScaleDisplay): Buffer {
    return encodeRadwagResult(this.fieldsOf(d));
  }

  receive(chunk: Buffer): void {
    this.commandLines.push(chunk);
  }

  private handle(command: string): void {
    this.remember(command);
    if (command !== 'C1') this.stopRepeating();
    const display = this.model.display();
    switch (command) {
      case 'SI':
      case 'S':
        this.deliver(encodeRadwagResult({ ...this.fieldsOf(display), command }), display);
        return;
      case 'C1':
        this.tick();
        this.start();
        return;
      case 'C0':
        this.deliver(encodeRadwagStatus('C0', 'A'));
        return;
      case 'Z':
      case 'T':
        if (display.status === 'overload') return this.deliver(encodeRadwagStatus(command, 'I'));
        this.deliver(encodeRadwagStatus(command, 'A'));
        if (command === 'Z') this.model.zero();
        else this.model.tare();
        this.deliver(encodeRadwagStatus(command, 'D'));
        return;
      default:
        this.deliver(Buffer.from('ES\r\n', 'latin1'));
    }
  }

  private fieldsOf(d: ScaleDisplay): RadwagResultFields {
    if (d.status === 'overload') return { marker: 'unstable', text: '-FULL-', unit: d.unit };
    if (d.status === 'underload') return { marker: 'unstable', text: '-NULL-', unit: d.unit };
    return { marker: d.status === 'unstable' ? 'unstable' : 'stable', value: d.value, unit: d.unit, decimals: d.decimals };
  }
}
