import type { TransportConfig } from '../../transport/config.js';
import { createTransport } from '../../transport/index.js';
import type { ByteTransport } from '../../transport/transport.js';
import { LineFramer, mask7 } from '../ascii-lines.js';
import { printable } from '../../../runtime/printable.js';
import { StreamScaleDriver } from '../stream-driver.js';
import { sartoriusConfigSchema, type SartoriusConfig, type SartoriusConfigInput } from './config.js';
import { parseSartoriusFrame } from './parser.js';

const ESC = '\x1b';
/** CR LF after a command is optional in SBI; sent anyway, as every balance accepts it. */
const CRLF = '\r\n';
const PRINT = `${ESC}P${CRLF}`;

/**
 * Driver of Sartorius balances and indicators in SBI mode: frames the stream on CR LF, reads each line as
 * a 16- or 22-character frame, and reports readings, frame errors and the link state. For a balance that
 * prints only when asked, it sends ESC P on connect and/or every pollMs.
 */
export class SartoriusDriver extends StreamScaleDriver {
  private readonly config: SartoriusConfig;
  private readonly framer: LineFramer;
  private pollTimer: NodeJS.Timeout | undefined;
  /** The unit of the last stable frame: moving frames carry none. */
  private lastUnit: string | undefined;

  constructor(transport: ByteTransport, config: SartoriusConfigInput = {}) {
    super(transport);
    this.config = sartoriusConfigSchema.parse(config);
    this.framer = new LineFramer(
      { end: CRLF, maxBytes: this.config.maxLineBytes },
      (frame) => this.frame(frame),
      (error) => this.emit('frameError', error),
    );
  }

  /** ESC + the configured tare or zero command (ESC T by default: the TARE key, which zeroes an empty pan). */
  command(name: 'zero' | 'tare'): void {
    this.transport.write(ESC + (name === 'zero' ? this.config.zeroCommand : this.config.tareCommand) + CRLF);
  }

  // Masked before framing: with parity in bit 7 (7O1 is common), CR arrives as 0x8D.
  protected receive(chunk: Buffer): void {
    this.framer.push(mask7(chunk));
  }

  protected resetFraming(): void {
    this.framer.reset();
    // The balance plugged back may not be the same one, nor in the same unit.
    this.lastUnit = undefined;
  }

  protected override linkOpened(): void {
    if (this.config.printOnConnect) this.transport.write(PRINT);
    if (this.config.pollMs > 0) {
      clearInterval(this.pollTimer);
      this.pollTimer = setInterval(() => this.transport.write(PRINT), this.config.pollMs);
    }
  }

  protected override linkClosed(): void {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  private frame(frame: Buffer): void {
    if (frame.length === 0) return; // a blank line carries nothing
    const raw = printable(frame);
    const result = parseSartoriusFrame(frame, { frameLength: this.config.frameLength, unit: this.lastUnit ?? this.config.unit });
    if (!result.ok) {
      this.emit('frameError', { reason: result.reason, raw });
      return;
    }
    // The weight's own unit only: not that of a piece count or a tare line in the 22-character format.
    if (result.unit && (result.id === '' || result.reading.kind === 'mass')) this.lastUnit = result.unit;
    this.emit('reading', result.reading, raw);
  }
}

/** The driver of one device config: its `transport` block (validated by transportSchema) and its `sartorius` block. */
export function createSartoriusDriver(device: { transport: TransportConfig; sartorius?: SartoriusConfigInput }): SartoriusDriver {
  return new SartoriusDriver(createTransport(device.transport), device.sartorius);
}
