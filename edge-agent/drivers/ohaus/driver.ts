import type { TransportConfig } from '../../transport/config.js';
import { createTransport } from '../../transport/index.js';
import type { ByteTransport } from '../../transport/transport.js';
import { printable } from '../../../runtime/printable.js';
import type { PolledRequest } from '../ascii-lines.js';
import { PolledLineDriver } from '../polled-line-driver.js';
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
export class OhausDriver extends PolledLineDriver<OhausRequest> {
  private readonly config: OhausConfig;

  constructor(transport: ByteTransport, config: OhausConfigInput = {}) {
    const parsed = ohausConfigSchema.parse(config);
    // pollMs 0: the loop runs (commands still go) but asks nothing.
    super(transport, { end: '\r\n', maxBytes: parsed.maxLineBytes }, { pollMs: parsed.pollMs || 60_000, poll: () => (parsed.pollMs ? request('IP', parsed.replyTimeoutMs) : undefined) });
    this.config = parsed;
  }

  command(name: 'zero' | 'tare'): void {
    this.loop.enqueue(request(name === 'zero' ? 'Z' : 'T', this.config.replyTimeoutMs));
  }

  protected frame(frame: Buffer): void {
    if (frame.length === 0) return;
    const raw = printable(frame);
    const result = parseOhausLine(frame);
    if (!result.ok) {
      this.emit('frameError', { reason: result.reason, raw });
      return;
    }
    this.loop.settle();
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
