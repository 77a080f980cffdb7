import { CommandLines } from '../common/command-lines.js';
import type { ScaleDisplay } from '../common/scale-model.js';
import type { ByteSink } from '../common/sim-device.js';
import { SimulatedRequestReplyScale, type SimulatedRequestReplyScaleOptions } from '../common/simulated-scale-base.js';
import { encodeSmaReply, encodeSmaUnrecognized, type SmaReplyFields } from './sma-frames.js';

export interface SimulatedSmaScaleOptions extends SimulatedRequestReplyScaleOptions {
  /** Written each time the scale is plugged in, as indicators print a start-up line (default none). */
  banner?: string;
}

/**
 * The twin of the `sma` driver: a scale answering SMA SCP-0499 commands (`<LF>c<CR>`): `W` weight, `Z` zero,
 * `T` tare, `C` clear tare, `M` stored tare, `R` repeat every intervalMs until another command; anything else
 * gets `<LF>?<CR>`. Zero and tare act at once rather than waiting for standstill. Garbage before a reply
 * (`faults`) lands outside its LF…CR.
 */
export class SimulatedSmaScale extends SimulatedRequestReplyScale {
  private readonly banner: string | undefined;
  /** `<LF>c<CR>` commands from the host; bytes before the LF are line noise. */
  private readonly commandLines = new CommandLines('\r', (frame) => {
    const start = frame.lastIndexOf('\n');
    if (start >= 0) this.handle(frame.slice(start + 1));
  });

  constructor(options: SimulatedSmaScaleOptions = {}) {
    const { banner, ...base } = options;
    super(base);
    this.banner = banner;
  }

  override setSink(sink: ByteSink | undefined): void {
    super.setSink(sink);
    if (sink && this.banner && !this.faults.dead) this.sendRaw(this.banner);
  }

  protected encode(d: ScaleDisplay): Buffer {
    return encodeSmaReply(this.fieldsOf(d));
  }

  /** Bytes from the host: `<LF>c<CR>` commands; bytes before the LF are line noise. */
  receive(chunk: Buffer): void {
    this.commandLines.push(chunk);
  }

  private handle(command: string): void {
    this.remember(command);
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

  private reply(fields: SmaReplyFields): void {
    this.deliver(encodeSmaReply(fields));
  }
}
