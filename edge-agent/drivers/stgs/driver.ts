import { EventEmitter } from 'node:events';
import { DelimiterParser } from '@serialport/parser-delimiter';
import type { TransportConfig } from '../../transport/config.js';
import { createTransport } from '../../transport/index.js';
import type { ByteTransport } from '../../transport/transport.js';
import { printable, type ScaleDriver, type ScaleDriverEvents } from '../scale.js';
import { stgsConfigSchema, type StgsConfig, type StgsConfigInput } from './config.js';
import { mask7, parseStgsFrame } from './parser.js';

const CRLF = '\r\n';
const COMMANDS = { zero: 'Z', tare: 'T' } as const;
/** How much of an overlong line a frameError shows: enough to recognise a wrong baud rate. */
const SHOWN_BYTES = 64;

/**
 * Driver of the ST,GS family (A&D, CAS, Dini Argeo and look-alikes): frames the byte stream on CR LF,
 * parses each frame, and reports readings, frame errors and the link state. Bad bytes cost at most the
 * frame they are in.
 */
export class StGsDriver extends EventEmitter<ScaleDriverEvents> implements ScaleDriver {
  private readonly config: StgsConfig;
  private readonly framer = new DelimiterParser({ delimiter: CRLF });
  private readonly onData = (chunk: Buffer): void => this.receive(chunk);
  private readonly onOpen = (): void => this.opened();
  private readonly onClose = (reason: string): void => this.closed(reason);
  private running = false;

  constructor(
    private readonly transport: ByteTransport,
    config: StgsConfigInput = {},
  ) {
    super();
    this.config = stgsConfigSchema.parse(config);
    this.framer.on('data', (line: Buffer) => this.frame(line));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.transport.on('data', this.onData);
    this.transport.on('open', this.onOpen);
    this.transport.on('close', this.onClose);
    this.emit('link', 'connecting', this.transport.description);
    this.transport.start();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.transport.stop();
    this.transport.off('data', this.onData);
    this.transport.off('open', this.onOpen);
    this.transport.off('close', this.onClose);
    this.dropPartialLine();
  }

  command(name: 'zero' | 'tare'): void {
    this.transport.write(COMMANDS[name] + CRLF);
  }

  private opened(): void {
    this.emit('link', 'open', this.transport.description);
    if (this.config.commandOnConnect) this.transport.write(this.config.commandOnConnect + CRLF);
  }

  private closed(reason: string): void {
    // Half a frame from before the loss must not be glued to the first bytes after it.
    this.dropPartialLine();
    this.emit('link', 'closed', reason);
  }

  private receive(chunk: Buffer): void {
    // Masked before framing: with parity in bit 7, CR arrives as 0x8D (7E1) or LF as 0x8A (7O1).
    this.framer.write(mask7(chunk));
    // The framer buffers until CR LF; a line that never ends must not grow without bound.
    const pending = this.framer.buffer;
    if (pending.length > this.config.maxLineBytes) {
      this.dropPartialLine();
      this.emit('frameError', {
        reason: `no CR LF within ${this.config.maxLineBytes} bytes (${pending.length} bytes dropped): wrong baud rate or line settings?`,
        raw: printable(pending.subarray(0, SHOWN_BYTES)),
      });
    }
  }

  private frame(line: Buffer): void {
    if (line.length === 0) return; // blank lines between frames carry nothing
    const raw = printable(line);
    const result = parseStgsFrame(line, this.config.format);
    if (result.ok) this.emit('reading', result.reading, raw);
    else this.emit('frameError', { reason: result.reason, raw });
  }

  private dropPartialLine(): void {
    this.framer.buffer = Buffer.alloc(0);
  }
}

/** The driver of one device config: its `transport` block (validated by transportSchema) and its `stgs` block. */
export function createStGsDriver(device: { transport: TransportConfig; stgs?: StgsConfigInput }): StGsDriver {
  return new StGsDriver(createTransport(device.transport), device.stgs);
}
