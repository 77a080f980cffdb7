import type { TransportConfig } from '../../transport/config.js';
import { createTransport } from '../../transport/index.js';
import type { ByteTransport } from '../../transport/transport.js';
import { printable } from '../../../runtime/printable.js';
import { StreamScaleDriver } from '../stream-driver.js';
import { toledoConfigSchema, type ToledoConfig, type ToledoConfigInput } from './config.js';
import { ToledoFramer } from './framer.js';
import { parseToledoFrame } from './parser.js';

const CRLF = '\r\n';
const COMMANDS = { zero: 'Z', tare: 'T' } as const;

/**
 * Driver of the Toledo Continuous output (Mettler Toledo indicators and the many that copy it): frames the
 * stream STX first by length, checks the checksum, parses the status words and reports readings, frame
 * errors and the link state. A bad frame costs that frame only.
 */
export class ToledoDriver extends StreamScaleDriver {
  private readonly config: ToledoConfig;
  private readonly framer: ToledoFramer;

  constructor(transport: ByteTransport, config: ToledoConfigInput = {}) {
    super(transport);
    this.config = toledoConfigSchema.parse(config);
    this.framer = new ToledoFramer(this.config, {
      frame: (frame) => this.frame(frame),
      skipped: (error) => this.emit('frameError', error),
    });
  }

  /** The checksum mode in force: the configured one, or what `auto` has detected so far. */
  get checksumMode(): 'present' | 'absent' | undefined {
    return this.framer.mode;
  }

  /** `Z` zero, `T` tare, CR LF terminated, on the indicator's command input (where it has one). */
  command(name: 'zero' | 'tare'): void {
    this.transport.write(COMMANDS[name] + CRLF);
  }

  protected receive(chunk: Buffer): void {
    this.framer.push(chunk);
  }

  protected resetFraming(): void {
    this.framer.reset();
  }

  private frame(frame: Buffer): void {
    const raw = printable(frame);
    const result = parseToledoFrame(frame);
    if (result.ok) this.emit('reading', result.reading, raw);
    else this.emit('frameError', { reason: result.reason, raw });
  }
}

/** The driver of one device config: its `transport` block (validated by transportSchema) and its `toledo` block. */
export function createToledoDriver(device: { transport: TransportConfig; toledo?: ToledoConfigInput }): ToledoDriver {
  return new ToledoDriver(createTransport(device.transport), device.toledo);
}
