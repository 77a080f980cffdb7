import type { TransportConfig } from '../../transport/config.js';
import { createTransport } from '../../transport/index.js';
import type { ByteTransport } from '../../transport/transport.js';
import { printable } from '../../../runtime/printable.js';
import type { PolledRequest } from '../ascii-lines.js';
import { PolledLineDriver } from '../polled-line-driver.js';
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
export class NciDriver extends PolledLineDriver<NciRequest> {
  private readonly config: NciConfig;

  constructor(transport: ByteTransport, config: NciConfigInput = {}) {
    const parsed = nciConfigSchema.parse(config);
    super(transport, { end: '\r\x03', maxBytes: parsed.maxLineBytes }, { pollMs: parsed.pollMs, poll: () => request('W', parsed.replyTimeoutMs) });
    this.config = parsed;
  }

  command(name: 'zero' | 'tare'): void {
    this.loop.enqueue(request(name === 'zero' ? 'Z' : 'T', this.config.replyTimeoutMs));
  }

  protected frame(frame: Buffer): void {
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
