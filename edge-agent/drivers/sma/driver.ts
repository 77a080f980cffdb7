import type { TransportConfig } from '../../transport/config.js';
import { createTransport } from '../../transport/index.js';
import type { ByteTransport } from '../../transport/transport.js';
import { LineFramer, mask7, RequestLoop, type PolledRequest } from '../ascii-lines.js';
import { printable } from '../../../runtime/printable.js';
import { StreamScaleDriver } from '../stream-driver.js';
import { smaConfigSchema, type SmaConfig, type SmaConfigInput } from './config.js';
import { parseSmaReply } from './parser.js';

interface SmaRequest extends PolledRequest {
  readonly command: 'W' | 'Z' | 'T';
}

/**
 * Driver of scales speaking the SMA SCP-0499 protocol: polls `<LF>W<CR>`, frames replies from LF to CR,
 * and reports readings, frame errors and the link state. One request is outstanding at a time; a request
 * without a reply is an error and the next period asks again.
 */
export class SmaDriver extends StreamScaleDriver {
  private readonly config: SmaConfig;
  private readonly framer: LineFramer;
  private readonly loop: RequestLoop<SmaRequest>;

  constructor(transport: ByteTransport, config: SmaConfigInput = {}) {
    super(transport);
    this.config = smaConfigSchema.parse(config);
    this.framer = new LineFramer(
      { start: '\n', end: '\r', maxBytes: this.config.maxLineBytes },
      (frame) => this.frame(frame),
      (error) => this.emit('frameError', error),
    );
    this.loop = new RequestLoop<SmaRequest>({
      pollMs: this.config.pollMs,
      poll: () => request('W', this.config.replyTimeoutMs),
      write: (wire) => this.transport.write(wire),
      onTimeout: (r) => this.emit('frameError', { reason: `no reply to ${r.label} within ${r.timeoutMs} ms`, raw: '' }),
    });
  }

  /** `<LF>Z<CR>` or `<LF>T<CR>` before the next weight request; a refusal (E, T, `?`) or no reply is a frameError. */
  command(name: 'zero' | 'tare'): void {
    this.loop.enqueue(request(name === 'zero' ? 'Z' : 'T', this.config.commandTimeoutMs));
  }

  // Masked before framing: with parity in bit 7, LF arrives as 0x8A and CR as 0x8D.
  protected receive(chunk: Buffer): void {
    this.framer.push(mask7(chunk));
  }

  protected resetFraming(): void {
    this.framer.reset();
  }

  protected override linkOpened(): void {
    this.loop.start();
  }

  protected override linkClosed(): void {
    this.loop.stop();
  }

  private frame(frame: Buffer): void {
    if (frame.length === 0) return; // an empty <LF><CR> carries nothing
    const raw = printable(frame);
    const result = parseSmaReply(frame);
    if (!result.ok) {
      this.emit('frameError', { reason: result.reason, raw });
      return;
    }
    // Replies do not name their command: each answers the request outstanding, if any.
    const answered = this.loop.settle();
    const reply = result.reply;
    if (reply.kind === 'unrecognized') {
      this.emit('frameError', { reason: `the scale did not recognise ${answered?.label ?? 'a command'} (?)`, raw });
      return;
    }
    if (answered?.command === 'Z' && reply.status === 'zero-error') {
      this.emit('frameError', { reason: 'zero not done: zero error (E)', raw });
      return;
    }
    if (answered?.command === 'T' && reply.status === 'tare-error') {
      this.emit('frameError', { reason: 'tare not done: tare error (T)', raw });
      return;
    }
    // The reply to Z and T is a standard weight reply too: the scale as it now reads.
    this.emit('reading', reply.reading, raw);
  }
}

function request(command: SmaRequest['command'], timeoutMs: number): SmaRequest {
  return { wire: `\n${command}\r`, label: `<LF>${command}<CR>`, command, timeoutMs };
}

/** The driver of one device config: its `transport` block (validated by transportSchema) and its `sma` block. */
export function createSmaDriver(device: { transport: TransportConfig; sma?: SmaConfigInput }): SmaDriver {
  return new SmaDriver(createTransport(device.transport), device.sma);
}
