import type { TransportConfig } from '../../transport/config.js';
import { createTransport } from '../../transport/index.js';
import type { ByteTransport } from '../../transport/transport.js';
import { printable } from '../../../runtime/printable.js';
import { LineFramer, mask7, RequestLoop, type PolledRequest } from '../ascii-lines.js';
import { StreamScaleDriver } from '../stream-driver.js';
import { nciConfigSchema, type NciConfig, type NciConfigInput } from './config.js';
import { parseNciReply } from './parser.js';

interface NciRequest extends PolledRequest {
  readonly command: 'W' | 'Z' | 'T';
}

/**
 * Driver of scales speaking NCI SCP-12 (bench and postal scales, Adam MDW-L, Ohaus Aviator): polls `W<CR>`,
 * frames replies on CR ETX, and reports readings, frame errors (a fault the status bytes report among them)
 * and the link. Zero and tare send `Z` and `T`, answered by the status alone.
 */
export class NciDriver extends StreamScaleDriver {
  private readonly config: NciConfig;
  private readonly framer: LineFramer;
  private readonly loop: RequestLoop<NciRequest>;

  constructor(transport: ByteTransport, config: NciConfigInput = {}) {
    super(transport);
    this.config = nciConfigSchema.parse(config);
    this.framer = new LineFramer(
      { end: '\r\x03', maxBytes: this.config.maxLineBytes },
      (frame) => this.frame(frame),
      (error) => this.emit('frameError', error),
    );
    this.loop = new RequestLoop<NciRequest>({
      pollMs: this.config.pollMs,
      poll: () => request('W', this.config.replyTimeoutMs),
      write: (wire) => this.transport.write(wire),
      onTimeout: (r) => this.emit('frameError', { reason: `no reply to ${r.label} within ${r.timeoutMs} ms`, raw: '' }),
    });
  }

  command(name: 'zero' | 'tare'): void {
    this.loop.enqueue(request(name === 'zero' ? 'Z' : 'T', this.config.replyTimeoutMs));
  }

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
    const raw = printable(frame);
    const result = parseNciReply(frame);
    // A reply, good or not, answers the request outstanding.
    this.loop.settle();
    if (!result.ok) this.emit('frameError', { reason: result.reason, raw });
    else if (result.reply.kind === 'reading') this.emit('reading', result.reply.reading, raw);
  }
}

function request(command: NciRequest['command'], timeoutMs: number): NciRequest {
  return { wire: `${command}\r`, label: `${command}<CR>`, command, timeoutMs };
}

/** The driver of one device config: its `transport` block and its `nci` block. */
export function createNciDriver(device: { transport: TransportConfig; nci?: NciConfigInput }): NciDriver {
  return new NciDriver(createTransport(device.transport), device.nci);
}
