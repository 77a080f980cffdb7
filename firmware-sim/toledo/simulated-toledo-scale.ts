import { toledoChecksum } from '../../edge-agent/drivers/toledo/parser.js';
import { CommandLines } from '../common/command-lines.js';
import type { LineParity } from '../common/parity.js';
import type { ScaleDisplay } from '../common/scale-model.js';
import { SimulatedScaleBase, type SimulatedScaleBaseOptions } from '../common/simulated-scale-base.js';
import { encodeToledoFrame, fieldsWithChecksum, type ToledoFrameFields } from './toledo-frames.js';

export interface SimulatedToledoScaleOptions extends SimulatedScaleBaseOptions {
  /** Send the checksum byte after CR (default true). */
  checksum?: boolean;
  /** Sets bit 7 as a 7E1/7O1 line would (default none). */
  parity?: LineParity;
  /** Display increment in SWA (default 1). */
  increment?: 1 | 2 | 5;
  /** Digit padding (default spaces). */
  pad?: 'space' | 'zero';
  /** Start with "power-up, not zeroed" set, as an indicator does until zero is captured (default false). */
  powerUpNotZeroed?: boolean;
}

/**
 * The twin of the `toledo` driver: a platform scale with a Toledo Continuous output streaming one frame
 * every intervalMs. Answers Z (zero, which also clears the power-up flag), T (tare), C (clear tare) and
 * P (print: the next frame carries the print request bit), each ending in CR LF.
 */
export class SimulatedToledoScale extends SimulatedScaleBase {
  private readonly checksum: boolean;
  private readonly parity: LineParity;
  private readonly increment: 1 | 2 | 5;
  private readonly pad: 'space' | 'zero';
  private notZeroed: boolean;
  private printRequest = false;
  private readonly commandLines = new CommandLines('\r\n', (line) => this.obey(line.trim()));

  constructor(options: SimulatedToledoScaleOptions = {}) {
    const { checksum = true, parity = 'none', increment = 1, pad = 'space', powerUpNotZeroed = false, ...base } = options;
    super(base);
    this.checksum = checksum;
    this.parity = parity;
    this.increment = increment;
    this.pad = pad;
    this.notZeroed = powerUpNotZeroed;
  }

  protected encode(d: ScaleDisplay): Buffer {
    const frame = encodeToledoFrame(this.fields(d), { checksum: this.checksum, parity: this.parity });
    this.printRequest = false;
    return frame;
  }

  /** Fault: the current frame with `byte` (default: one off the right value) in place of its checksum. */
  sendBadChecksum(byte?: number): Buffer {
    const fields = this.fields(this.model.display());
    let right = toledoChecksum(encodeToledoFrame(fields));
    if (byte === right) {
      // The wrong byte asked for happens to be right: change the frame under it (the print bit adds 8 to the sum).
      fields.printRequest = !fields.printRequest;
      right = toledoChecksum(encodeToledoFrame(fields));
    }
    return this.sendFrame(encodeToledoFrame(fields, { checksum: byte ?? ((right + 1) & 0x7f), parity: this.parity }));
  }

  /**
   * A valid frame whose checksum byte is `byte` (0x02, 0x0A, 0x0D to trap a framer that splits on them):
   * the current display moved by the fewest display steps that give it. Returns the frame sent.
   */
  sendWithChecksum(byte: number): Buffer {
    const fields = fieldsWithChecksum(this.fields(this.model.display()), byte);
    return this.sendFrame(encodeToledoFrame(fields, { parity: this.parity }));
  }

  /** Bytes from the host: CR LF-terminated commands; others are ignored as an indicator would. */
  receive(chunk: Buffer): void {
    this.commandLines.push(chunk);
  }

  private obey(command: string): void {
    if (command === 'Z') {
      this.model.zero();
      this.notZeroed = false;
    } else if (command === 'T') this.model.tare();
    else if (command === 'C') this.model.clearTare();
    else if (command === 'P') this.printRequest = true;
  }

  private fields(d: ScaleDisplay): ToledoFrameFields {
    return {
      status: d.status,
      net: d.net,
      value: d.value,
      tare: d.tare,
      decimals: d.decimals,
      unit: d.unit,
      increment: this.increment,
      pad: this.pad,
      powerUpNotZeroed: this.notZeroed,
      printRequest: this.printRequest,
    };
  }

  /** Faults go out as raw bytes: they are not displays the model told the host. */
  private sendFrame(frame: Buffer): Buffer {
    this.sendRaw(frame);
    return frame;
  }
}
