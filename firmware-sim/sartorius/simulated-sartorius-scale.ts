import { withParity, type LineParity } from '../common/parity.js';
import type { ScaleDisplay } from '../common/scale-model.js';
import { SimulatedScaleBase, type SimulatedScaleBaseOptions } from '../common/simulated-scale-base.js';
import { encodeSartoriusFrame } from './sartorius-frames.js';

export interface SimulatedSartoriusScaleOptions extends SimulatedScaleBaseOptions {
  /** The 22-character format, with `G#`/`N`/`Stat` ID codes (default: 16 characters). */
  idCodes?: boolean;
  /** Sets bit 7 as a 7E1/7O1 line would (default none; SBI balances often ship 7O1). */
  parity?: LineParity;
}

/** What the ESC commands do; the ones a balance does not know are ignored, as a balance does. */
const ACTIONS: Record<string, 'print' | 'tare-key' | 'tare' | 'zero'> = {
  P: 'print',
  T: 'tare-key',
  U: 'tare',
  V: 'zero',
  f3: 'zero',
  f4: 'tare',
};

/**
 * The twin of the `sartorius` driver: a Sartorius balance in SBI mode. Streams a frame every intervalMs once
 * started (auto print), and answers ESC commands whether started or not: ESC P prints one frame, ESC T is
 * the TARE key (zero with an empty pan, else tare), ESC U tare, ESC V zero, ESC f3_ zero, ESC f4_ tare.
 * CR LF after a command is optional, as in SBI.
 */
export class SimulatedSartoriusScale extends SimulatedScaleBase {
  private readonly idCodes: boolean;
  private readonly parity: LineParity;
  private commandBuffer = '';
  /** Every command obeyed, in order (`P`, `T`, `f3`…): what a test checks reached the balance. */
  readonly commands: string[] = [];

  constructor(options: SimulatedSartoriusScaleOptions = {}) {
    const { idCodes = false, parity = 'none', ...base } = options;
    super(base);
    this.idCodes = idCodes;
    this.parity = parity;
  }

  protected encode(d: ScaleDisplay): Buffer {
    const frame = encodeSartoriusFrame({
      status: d.status,
      value: d.value,
      unit: d.unit,
      decimals: d.decimals,
      id: this.idCodes ? (d.net ? 'N' : 'G#') : undefined,
    });
    return withParity(frame, this.parity);
  }

  /** Bytes from the host: `ESC letter` or `ESC letter digits _`, CR LF optional; anything else is ignored. */
  receive(chunk: Buffer): void {
    this.commandBuffer = (this.commandBuffer + chunk.toString('latin1')).slice(-256);
    for (;;) {
      const esc = this.commandBuffer.indexOf('\x1b');
      if (esc < 0) {
        this.commandBuffer = '';
        return;
      }
      const m = /^\x1b(?:([A-Z])|([a-z]\d*)_)/.exec(this.commandBuffer.slice(esc));
      if (!m) {
        // Half a command: wait for the rest (but not forever for a malformed one).
        if (/^\x1b(?:[a-z]\d*)?$/.test(this.commandBuffer.slice(esc))) {
          this.commandBuffer = this.commandBuffer.slice(esc);
          return;
        }
        this.commandBuffer = this.commandBuffer.slice(esc + 1);
        continue;
      }
      this.commandBuffer = this.commandBuffer.slice(esc + m[0].length);
      this.obey(m[1] ?? m[2]!);
    }
  }

  private obey(command: string): void {
    const action = ACTIONS[command];
    if (!action) return;
    this.commands.push(command);
    switch (action) {
      case 'print':
        this.tick();
        break;
      case 'tare-key':
        if (this.model.platterKg === 0) this.model.zero();
        else this.model.tare();
        break;
      case 'tare':
        this.model.tare();
        break;
      case 'zero':
        this.model.zero();
        break;
    }
  }
}
