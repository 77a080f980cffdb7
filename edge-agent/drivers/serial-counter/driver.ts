import { EventEmitter } from 'node:events';
import type { TransportConfig } from '../../transport/config.js';
import { createTransport } from '../../transport/index.js';
import type { ByteTransport } from '../../transport/transport.js';
import type { CounterDriver, CounterDriverEvents } from '../counter.js';
import { printable } from '../scale.js';
import { counterModulo, serialCounterConfigSchema, type SerialCounterConfig, type SerialCounterConfigInput } from './config.js';
import { SerialCounterFramer } from './parser.js';

/** How much of a skipped run a frameError shows: enough to recognise a wrong baud rate or layout. */
const SHOWN_BYTES = 64;

/**
 * Driver of a binary serial people counter that streams fixed-length frames of raw cumulative in/out
 * counts with a CRC-8 (layout in config.ts). Reports every good frame as `counts`; deltas, wraps and
 * resets are the agent's business (edge-agent/counters). Bad bytes cost at most the frame they are in.
 */
export class SerialCounterDriver extends EventEmitter<CounterDriverEvents> implements CounterDriver {
  readonly config: SerialCounterConfig;
  private readonly modulo: number;
  private readonly framer: SerialCounterFramer;
  private readonly onData = (chunk: Buffer): void => this.receive(chunk);
  private readonly onOpen = (): void => this.opened();
  private readonly onClose = (reason: string): void => this.closed(reason);
  private running = false;

  constructor(
    private readonly transport: ByteTransport,
    options: SerialCounterConfigInput = {},
  ) {
    super();
    this.config = serialCounterConfigSchema.parse(options);
    this.modulo = counterModulo(this.config);
    this.framer = new SerialCounterFramer(this.config);
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
    this.framer.reset();
  }

  private opened(): void {
    this.emit('link', 'open', this.transport.description);
  }

  private closed(reason: string): void {
    // Half a frame from before the loss must not be glued to the first bytes after it.
    this.framer.reset();
    this.emit('link', 'closed', reason);
  }

  private receive(chunk: Buffer): void {
    for (const item of this.framer.push(chunk)) {
      if (item.kind === 'counts') {
        this.emit('counts', { in: item.in, out: item.out, modulo: this.modulo });
      } else {
        const shown = printable(item.raw.subarray(0, SHOWN_BYTES));
        this.emit('frameError', { reason: item.reason, raw: item.raw.length > SHOWN_BYTES ? `${shown}…` : shown });
      }
    }
  }
}

/** The driver of one device config: its `transport` block (validated by transportSchema) and its `serialCounter` block. */
export function createSerialCounterDriver(device: { transport: TransportConfig; serialCounter?: SerialCounterConfigInput }): SerialCounterDriver {
  return new SerialCounterDriver(createTransport(device.transport), device.serialCounter);
}
