import type { TransportConfig } from '../../transport/config.js';
import { createTransport } from '../../transport/index.js';
import type { ByteTransport } from '../../transport/transport.js';
import { LineFramer, mask7, type PolledRequest, type RequestLoop } from '../ascii-lines.js';
import { printable } from '../../../runtime/printable.js';
import { StreamScaleDriver } from '../stream-driver.js';
import { stgsConfigSchema, type StgsConfig, type StgsConfigInput } from './config.js';
import { parseStgsFrame } from './parser.js';

const CRLF = '\r\n';
const COMMANDS = { zero: 'Z', tare: 'T' } as const;

/**
 * Driver of the ST,GS family (A&D, CAS, Dini Argeo and look-alikes): frames the byte stream on CR LF,
 * parses each frame, and reports readings, frame errors and the link state. Bad bytes cost at most the
 * frame they are in.
 */
export class StGsDriver extends StreamScaleDriver {
  private readonly config: StgsConfig;
  private readonly framer: LineFramer;
  /** With `request`: one request outstanding at a time, a reply timeout reported as an error. */
  private readonly loop: RequestLoop<PolledRequest> | undefined;

  constructor(transport: ByteTransport, config: StgsConfigInput = {}) {
    super(transport);
    this.config = stgsConfigSchema.parse(config);
    // A line that never ends (wrong baud rate, stuck line) is dropped and reported, never grown without bound.
    this.framer = new LineFramer(
      { end: CRLF, maxBytes: this.config.maxLineBytes },
      (line) => this.frame(line),
      (error) => this.emit('frameError', error),
    );
    const { request, pollMs, replyTimeoutMs } = this.config;
    if (request) {
      const poll: PolledRequest = { wire: request + CRLF, label: request, timeoutMs: replyTimeoutMs };
      this.loop = this.requestLoop({ pollMs, poll: () => poll });
    }
  }

  command(name: 'zero' | 'tare'): void {
    this.transport.write(COMMANDS[name] + CRLF);
  }

  // Masked before framing: with parity in bit 7, CR arrives as 0x8D (7E1) or LF as 0x8A (7O1).
  protected receive(chunk: Buffer): void {
    this.framer.push(mask7(chunk));
  }

  protected resetFraming(): void {
    this.framer.reset();
  }

  protected override linkOpened(): void {
    if (this.config.commandOnConnect) this.transport.write(this.config.commandOnConnect + CRLF);
    this.loop?.start();
  }

  protected override linkClosed(): void {
    this.loop?.stop();
  }

  private frame(line: Buffer): void {
    if (line.length === 0) return; // blank lines between frames carry nothing
    // Any line answers the outstanding request: an answer that is no weight is reported below, not waited for again.
    this.loop?.settle();
    const raw = printable(line);
    const result = parseStgsFrame(line, this.config.format);
    if (result.ok) this.emit('reading', result.reading, raw);
    else this.emit('frameError', { reason: result.reason, raw });
  }
}

/** The driver of one device config: its `transport` block (validated by transportSchema) and its `stgs` block. */
export function createStGsDriver(device: { transport: TransportConfig; stgs?: StgsConfigInput }): StGsDriver {
  return new StGsDriver(createTransport(device.transport), device.stgs);
}
