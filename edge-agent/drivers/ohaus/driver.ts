import type { TransportConfig } from '../../transport/config.js';
import { createTransport } from '../../transport/index.js';
import type { ByteTransport } from '../../transport/transport.js';
import { printable } from '../../../runtime/printable.js';
import { LineFramer, mask7, RequestLoop, type PolledRequest } from '../ascii-lines.js';
import { StreamScaleDriver } from '../stream-driver.js';
import { ohausConfigSchema, type OhausConfig, type OhausConfigInput } from './config.js';
import { parseOhausLine } from './parser.js';

interface OhausRequest extends PolledRequest {
  readonly command: 'IP' | 'Z' | 'T';
}

/**
 * Driver of Ohaus balances and indicators (Scout, Navigator, Ranger, Defender, Valor…) on RS-232: asks `IP`
 * (immediate print) every `pollMs`, or only listens when the balance prints by itself (`pollMs: 0`); frames
 * lines on CR LF. Zero and tare send `Z` and `T`, whose `OK!` or `ES` settles them.
 */
export class OhausDriver extends StreamScaleDriver {
  private readonly config: OhausConfig;
  private readonly framer: LineFramer;
  private readonly loop: RequestLoop<OhausRequest> | undefined;

  constructor(transport: ByteTransport, config: OhausConfigInput = {}) {
    super(transport);
    this.config = ohausConfigSchema.parse(config);
    this.framer = new LineFramer(
      { end: '\r\n', maxBytes: this.config.maxLineBytes },
      (frame) => this.frame(frame),
      (error) => this.emit('frameError', error),
    );
    this.loop = new RequestLoop<OhausRequest>({
      pollMs: this.config.pollMs || 60_000,
      poll: () => (this.config.pollMs ? request('IP', this.config.replyTimeoutMs) : undefined),
      write: (wire) => this.transport.write(wire),
      onTimeout: (r) => this.emit('frameError', { reason: `no reply to ${r.label} within ${r.timeoutMs} ms`, raw: '' }),
    });
  }

  command(name: 'zero' | 'tare'): void {
    this.loop?.enqueue(request(name === 'zero' ? 'Z' : 'T', this.config.replyTimeoutMs));
  }

  protected receive(chunk: Buffer): void {
    this.framer.push(mask7(chunk));
  }

  protected resetFraming(): void {
    this.framer.reset();
  }

  protected override linkOpened(): void {
    this.loop?.start();
  }

  protected override linkClosed(): void {
    this.loop?.stop();
  }

  private frame(frame: Buffer): void {
    if (frame.length === 0) return;
    const raw = printable(frame);
    const result = parseOhausLine(frame);
    if (!result.ok) {
      this.emit('frameError', { reason: result.reason, raw });
      return;
    }
    this.loop?.settle();
    const reply = result.reply;
    if (reply.kind === 'refused') this.emit('frameError', { reason: reply.reason, raw });
    else if (reply.kind === 'reading') this.emit('reading', reply.reading, raw);
  }
}

function request(command: OhausRequest['command'], timeoutMs: number): OhausRequest {
  return { wire: `${command}\r\n`, label: command, command, timeoutMs };
}

/** The driver of one device config: its `transport` block and its `ohaus` block. */
export function createOhausDriver(device: { transport: TransportConfig; ohaus?: OhausConfigInput }): OhausDriver {
  return new OhausDriver(createTransport(device.transport), device.ohaus);
}
