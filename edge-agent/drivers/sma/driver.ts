import type { TransportConfig } from '../../transport/config.js';
import { createTransport } from '../../transport/index.js';
import type { ByteTransport } from '../../transport/transport.js';
import type { PolledRequest } from '../ascii-lines.js';
import { printable } from '../../../runtime/printable.js';
import { PolledLineDriver } from '../polled-line-driver.js';
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
export class SmaDriver extends PolledLineDriver<SmaRequest> {
  private readonly config: SmaConfig;

  constructor(transport: ByteTransport, config: SmaConfigInput = {}) {
    const parsed = smaConfigSchema.parse(config);
    super(transport, { start: '\n', end: '\r', maxBytes: parsed.maxLineBytes }, { pollMs: parsed.pollMs, poll: () => request('W', parsed.replyTimeoutMs) });
    this.config = parsed;
  }

  /** `<LF>Z<CR>` or `<LF>T<CR>` before the next weight request; a refusal (E, T, `?`) or no reply is a frameError. */
  command(name: 'zero' | 'tare'): void {
    this.loop.enqueue(request(name === 'zero' ? 'Z' : 'T', this.config.commandTimeoutMs));
  }

  protected frame(frame: Buffer): void {
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
