import type { TransportConfig } from '../../transport/config.js';
import { createTransport } from '../../transport/index.js';
import type { ByteTransport } from '../../transport/transport.js';
import type { CounterDriver, CounterDriverEvents } from '../counter.js';
import { printable } from '../../../runtime/printable.js';
import { SHOWN_BYTES } from '../scale.js';
import { StreamDriver } from '../stream-driver.js';
import { counterModulo, serialCounterConfigSchema, type SerialCounterConfig, type SerialCounterConfigInput } from './config.js';
import { SerialCounterFramer } from './parser.js';

/**
 * Driver of a binary serial people counter that streams fixed-length frames of raw cumulative in/out
 * counts with a CRC-8 (layout in config.ts). Reports every good frame as `counts`; deltas, wraps and
 * resets are the agent's business (edge-agent/counters). Bad bytes cost at most the frame they are in.
 */
export class SerialCounterDriver extends StreamDriver<CounterDriverEvents> implements CounterDriver {
  readonly config: SerialCounterConfig;
  private readonly modulo: number;
  private readonly framer: SerialCounterFramer;

  constructor(transport: ByteTransport, options: SerialCounterConfigInput = {}) {
    super(transport);
    this.config = serialCounterConfigSchema.parse(options);
    this.modulo = counterModulo(this.config);
    this.framer = new SerialCounterFramer(this.config);
  }

  protected receive(chunk: Buffer): void {
    for (const item of this.framer.push(chunk)) {
      if (item.kind === 'counts') {
        this.emit('counts', { in: item.in, out: item.out, modulo: this.modulo });
      } else {
        const shown = printable(item.raw.subarray(0, SHOWN_BYTES));
        this.emit('frameError', { reason: item.reason, raw: item.raw.length > SHOWN_BYTES ? `${shown}…` : shown });
      }
    }
  }

  protected resetFraming(): void {
    this.framer.reset();
  }
}

/** The driver of one device config: its `transport` block (validated by transportSchema) and its `serialCounter` block. */
export function createSerialCounterDriver(device: { transport: TransportConfig; serialCounter?: SerialCounterConfigInput }): SerialCounterDriver {
  return new SerialCounterDriver(createTransport(device.transport), device.serialCounter);
}
