import type { TransportConfig } from '../../transport/config.js';
import { createTransport } from '../../transport/index.js';
import type { ByteTransport } from '../../transport/transport.js';
import { printable } from '../../../runtime/printable.js';
import { LineFramer, mask7 } from '../ascii-lines.js';
import { StreamScaleDriver } from '../stream-driver.js';
import { lineConfigSchema, type LineConfigInput } from './config.js';
import { lineParser, type LineParseResult } from './parser.js';

/**
 * The generic line driver: a scale that prints lines by itself, read by the config's pattern. It sends
 * nothing (a scale no driver knows has commands no driver knows).
 */
export class LineDriver extends StreamScaleDriver {
  private readonly framer: LineFramer;
  private readonly parse: (line: Buffer) => LineParseResult;

  constructor(transport: ByteTransport, config: LineConfigInput) {
    super(transport);
    const parsed = lineConfigSchema.parse(config);
    this.parse = lineParser(parsed);
    this.framer = new LineFramer(
      { end: parsed.end, maxBytes: parsed.maxLineBytes },
      (frame) => this.frame(frame),
      (error) => this.emit('frameError', error),
    );
  }

  protected receive(chunk: Buffer): void {
    this.framer.push(mask7(chunk));
  }

  protected resetFraming(): void {
    this.framer.reset();
  }

  private frame(frame: Buffer): void {
    if (frame.length === 0) return;
    const raw = printable(frame);
    const result = this.parse(frame);
    if (result.ok) this.emit('reading', result.reading, raw);
    else this.emit('frameError', { reason: result.reason, raw });
  }
}

/** The driver of one device config: its `transport` block and its `line` block. */
export function createLineDriver(device: { transport: TransportConfig; line: LineConfigInput }): LineDriver {
  return new LineDriver(createTransport(device.transport), device.line);
}
