import type { TransportConfig } from '../../transport/config.js';
import { createTransport } from '../../transport/index.js';
import type { ByteTransport } from '../../transport/transport.js';
import { printable } from '../../../runtime/printable.js';
import type { PolledRequest } from '../ascii-lines.js';
import { PolledLineDriver } from '../polled-line-driver.js';
import { radwagConfigSchema, type RadwagConfig, type RadwagConfigInput } from './config.js';
import { parseRadwagReply } from './parser.js';

interface RadwagRequest extends PolledRequest {
  readonly command: 'SI' | 'Z' | 'T';
}

/**
 * Driver of Radwag balances and indicators (PS, AS, WLC, WPT, PUE terminals…) in their RS-232 protocol: polls
 * `SI` (the immediate result in the basic unit), frames replies on CR LF, and reports readings, frame errors
 * and the link. Zero and tare go ahead of the next poll; the balance answers `Z A` (in progress) then `Z D`
 * (done), or a refusal, which is a frameError.
 */
export class RadwagDriver extends PolledLineDriver<RadwagRequest> {
  private readonly config: RadwagConfig;

  constructor(transport: ByteTransport, config: RadwagConfigInput = {}) {
    const parsed = radwagConfigSchema.parse(config);
    super(transport, { end: '\r\n', maxBytes: parsed.maxLineBytes }, { pollMs: parsed.pollMs, poll: () => request('SI', parsed.replyTimeoutMs) });
    this.config = parsed;
  }

  command(name: 'zero' | 'tare'): void {
    this.loop.enqueue(request(name === 'zero' ? 'Z' : 'T', this.config.commandTimeoutMs));
  }

  protected frame(frame: Buffer): void {
    if (frame.length === 0) return;
    const raw = printable(frame);
    const result = parseRadwagReply(frame);
    if (!result.ok) {
      this.emit('frameError', { reason: result.reason, raw });
      return;
    }
    const reply = result.reply;
    switch (reply.kind) {
      case 'in-progress':
        return; // the command's outcome follows
      case 'done':
        this.loop.settle();
        return;
      case 'refused':
        this.loop.settle();
        this.emit('frameError', { reason: reply.reason, raw });
        return;
      case 'reading':
        // A continuous stream (C1) comes unasked: only a result settles the request outstanding.
        this.loop.settle();
        this.emit('reading', reply.reading, raw);
    }
  }
}

function request(command: RadwagRequest['command'], timeoutMs: number): RadwagRequest {
  return { wire: `${command}\r\n`, label: command, command, timeoutMs };
}

/** The driver of one device config: its `transport` block and its `radwag` block. */
export function createRadwagDriver(device: { transport: TransportConfig; radwag?: RadwagConfigInput }): RadwagDriver {
  return new RadwagDriver(createTransport(device.transport), device.radwag);
}
