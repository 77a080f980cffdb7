import type { StgsFrameFormat } from '../../edge-agent/drivers/stgs/config.js';
import { CommandLines } from '../common/command-lines.js';
import { withParity, type LineParity } from '../common/parity.js';
import type { ScaleDisplay } from '../common/scale-model.js';
import { SimulatedScaleBase, type SimulatedScaleBaseOptions } from '../common/simulated-scale-base.js';
import { encodeDiniExtended, encodeStgsFrame, type DiniString } from './stgs-frames.js';

export interface SimulatedStgsScaleOptions extends SimulatedScaleBaseOptions {
  /** Wire format (default ad-indicator). */
  format?: StgsFrameFormat;
  /** Sets bit 7 as a 7E1/7O1 line would (default none). */
  parity?: LineParity;
  /** CAS device id and Dini address, as the frames carry them. */
  deviceId?: number;
  address?: number;
  /** Dini Argeo only: which string it sends (default standard). `rext` answers `REXT` requests and streams nothing. */
  diniString?: DiniString;
}

/**
 * The twin of the `stgs` driver: a platform scale with an ST,GS-family indicator streaming one frame
 * every intervalMs, or a Dini Argeo answering `REXT` requests with its extended string. Answers Z (zero)
 * and T (tare) commands.
 */
export class SimulatedStgsScale extends SimulatedScaleBase {
  private readonly format: StgsFrameFormat;
  private readonly parity: LineParity;
  private readonly deviceId: number | undefined;
  private readonly address: number | undefined;
  private readonly diniString: DiniString;
  private readonly commandLines = new CommandLines('\r\n', (line) => {
    // A Dini on RS-485 takes its two-digit instrument code before each command.
    const command = this.format === 'dini' ? line.trim().replace(/^\d{2}(?=[A-Z])/, '') : line.trim();
    if (command === 'Z') this.model.zero();
    else if (command === 'T') this.model.tare();
    else if (command === 'REXT' && this.diniString === 'rext') this.tick();
  });

  constructor(options: SimulatedStgsScaleOptions = {}) {
    const { format = 'ad-indicator', parity = 'none', deviceId, address, diniString = 'standard', ...base } = options;
    super(base);
    this.diniString = format === 'dini' ? diniString : 'standard';
    this.format = format;
    this.parity = parity;
    this.deviceId = deviceId;
    this.address = address;
  }

  /** Streams, unless it only answers `REXT` requests. */
  override start(): void {
    if (this.diniString !== 'rext') super.start();
  }

  protected encode(d: ScaleDisplay): Buffer {
    if (this.diniString !== 'standard') {
      const fields = { status: d.status, value: d.value, tare: d.tare, unit: d.unit, decimals: d.decimals, address: this.address };
      return withParity(encodeDiniExtended(this.diniString, fields), this.parity);
    }
    // A&D balances show net after a tare with no net marker on the wire.
    const net = d.net && this.format !== 'ad-balance';
    const frame = encodeStgsFrame(this.format, {
      status: d.status,
      mode: net ? 'net' : 'gross',
      value: d.value,
      unit: d.unit,
      decimals: d.decimals,
      deviceId: this.deviceId,
      address: this.address,
    });
    return withParity(frame, this.parity);
  }

  /** Bytes from the host: CR LF-terminated commands, `Z` zero and `T` tare; others are ignored as a scale would. */
  receive(chunk: Buffer): void {
    this.commandLines.push(chunk);
  }
}
