import type { TransportConfig } from '../../transport/config.js';
import { createTransport } from '../../transport/index.js';
import type { ByteTransport } from '../../transport/transport.js';
import { LineFramer, mask7, type PolledRequest, type RequestLoop } from '../ascii-lines.js';
import { printable } from '../../../runtime/printable.js';
import { type ScaleReading } from '../scale.js';
import { StreamScaleDriver } from '../stream-driver.js';
import { mtSicsConfigSchema, type MtSicsConfig, type MtSicsConfigInput } from './config.js';
import { parseMtSicsReply, type MtSicsReply } from './parser.js';

const CRLF = '\r\n';

interface MtSicsRequest extends PolledRequest {
  /** The reply id that answers it: `S` for S, SI and SIR, `I4` for `@`. */
  readonly answeredBy: MtSicsReply['id'];
}

/**
 * Driver of Mettler Toledo balances and indicators speaking MT-SICS: asks for the weight (`SI` polled, or
 * `SIR` streamed), frames the replies on CR LF, and reports readings, frame errors and the link state.
 * One request is outstanding at a time; a request without a reply is an error and the loop goes on.
 */
export class MtSicsDriver extends StreamScaleDriver {
  private readonly config: MtSicsConfig;
  private readonly framer: LineFramer;
  private readonly loop: RequestLoop<MtSicsRequest>;
  /**
   * The tare the balance said it took (`T S`). Weight replies do not say net or gross, so a tare is known
   * only when this driver asked for it; a zero, a reset, a power-up or a link loss forgets it.
   */
  private tareKg: number | undefined;
  private lastLineAt = 0;
  private serial: string | undefined;

  constructor(transport: ByteTransport, config: MtSicsConfigInput = {}) {
    super(transport);
    this.config = mtSicsConfigSchema.parse(config);
    this.framer = new LineFramer(
      { end: CRLF, maxBytes: this.config.maxLineBytes },
      (line) => this.line(line),
      (error) => this.emit('frameError', error),
    );
    this.loop = this.requestLoop<MtSicsRequest>({ pollMs: this.config.pollMs, poll: () => this.poll() });
  }

  /** The serial number the balance last gave (`I4 A "…"`, the reply to `@` or its power-up line). */
  get serialNumber(): string | undefined {
    return this.serial;
  }

  /** Sent before the next weight request; a refusal (`Z I`, `T +`, `EL`…) or no reply is a frameError. */
  command(name: 'zero' | 'tare'): void {
    const letter = name === 'zero' ? 'Z' : 'T';
    this.loop.enqueue(this.request(letter, letter, this.config.commandTimeoutMs));
  }

  private request(command: string, answeredBy: MtSicsRequest['answeredBy'], timeoutMs = this.config.replyTimeoutMs): MtSicsRequest {
    return { wire: command + CRLF, label: command, answeredBy, timeoutMs };
  }

  // Masked before framing: with parity in bit 7, CR arrives as 0x8D (7E1) or LF as 0x8A (7O1).
  protected receive(chunk: Buffer): void {
    this.framer.push(mask7(chunk));
  }

  protected resetFraming(): void {
    this.framer.reset();
  }

  protected override linkOpened(): void {
    this.lastLineAt = Date.now();
    this.loop.start();
    if (this.config.resetOnConnect) this.loop.enqueue(this.request('@', 'I4'));
    if (this.config.mode === 'stream') this.loop.enqueue(this.request('SIR', 'S'));
  }

  protected override linkClosed(): void {
    this.loop.stop();
    // The balance may have been switched off meanwhile: claim no tare rather than a stale one.
    this.tareKg = undefined;
  }

  private poll(): MtSicsRequest | undefined {
    if (this.config.mode === 'poll') return this.request('SI', 'S');
    // A stream that went quiet (balance restarted, SIR cancelled on the balance) is asked for again.
    return Date.now() - this.lastLineAt > this.config.replyTimeoutMs ? this.request('SIR', 'S') : undefined;
  }

  /** In stream mode, after a command or a restart: SIR again, in case the balance stopped repeating. */
  private resumeStream(): void {
    if (this.config.mode === 'stream') this.loop.enqueue(this.request('SIR', 'S'));
  }

  private line(line: Buffer): void {
    this.lastLineAt = Date.now();
    if (line.length === 0) return; // blank lines carry nothing
    const raw = printable(line);
    const result = parseMtSicsReply(line);
    if (!result.ok) {
      this.emit('frameError', { reason: result.reason, raw });
      return;
    }
    const reply = result.reply;
    const outstanding = this.loop.outstanding;
    // An error reply names no command: it answers whatever was asked last.
    const answered = outstanding && (reply.kind === 'error' || reply.id === outstanding.answeredBy) ? this.loop.settle() : undefined;
    const afterCommand = answered?.answeredBy === 'Z' || answered?.answeredBy === 'T';
    switch (reply.kind) {
      case 'reading':
        this.emit('reading', this.withTare(reply.reading), raw);
        return;
      case 'tare':
        this.tareKg = reply.tareKg;
        break;
      case 'zeroed':
        this.tareKg = undefined;
        break;
      case 'identification':
        this.serial = reply.serial;
        this.tareKg = undefined;
        // Unasked, it is the power-up line of a balance that restarted.
        if (!answered) this.resumeStream();
        return;
      case 'refused':
        this.emit('frameError', { reason: reply.reason, raw });
        break;
      case 'error':
        this.emit('frameError', { reason: answered ? `${answered.label} not taken: ${reply.reason}` : reply.reason, raw });
        break;
    }
    if (afterCommand) this.resumeStream();
  }

  private withTare(reading: ScaleReading): ScaleReading {
    if (reading.kind !== 'mass' || !this.tareKg) return reading;
    return { ...reading, net: true, tareKg: this.tareKg };
  }
}

/** The driver of one device config: its `transport` block (validated by transportSchema) and its `mtSics` block. */
export function createMtSicsDriver(device: { transport: TransportConfig; mtSics?: MtSicsConfigInput }): MtSicsDriver {
  return new MtSicsDriver(createTransport(device.transport), device.mtSics);
}
