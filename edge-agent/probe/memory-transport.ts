import { EventEmitter } from 'node:events';
import type { ByteTransport, ByteTransportEvents } from '../transport/transport.js';

/**
 * A ByteTransport with no device behind it: start() opens it and plays back bytes captured earlier, chunk by
 * chunk as they arrived, so that a real driver can be tried on a capture without touching the port again.
 * What the driver writes (a poll, a command on connect) is kept in `written` and goes nowhere.
 */
export class ReplayTransport extends EventEmitter<ByteTransportEvents> implements ByteTransport {
  readonly description: string;
  readonly written: Buffer[] = [];
  private opened = false;

  constructor(
    private readonly chunks: readonly Buffer[],
    description = 'capture',
  ) {
    super();
    this.description = `replay of ${description}`;
  }

  get isOpen(): boolean {
    return this.opened;
  }

  /** Synchronous on purpose: the driver has subscribed before it calls start(), so it sees every byte. */
  start(): void {
    if (this.opened) return;
    this.opened = true;
    this.emit('open');
    for (const chunk of this.chunks) this.emit('data', chunk);
  }

  async stop(): Promise<void> {
    if (!this.opened) return;
    this.opened = false;
    this.emit('close', 'stopped');
  }

  write(data: Buffer | string): void {
    if (this.opened) this.written.push(Buffer.isBuffer(data) ? data : Buffer.from(data, 'latin1'));
  }
}

/**
 * A driver's view of a link the probe keeps open: drivers own their transport and close it in stop(), but the
 * probe tries several drivers in turn on one port, so each gets a lease whose stop() only lets go of the link.
 */
export class LeasedTransport extends EventEmitter<ByteTransportEvents> implements ByteTransport {
  readonly description: string;
  private leased = false;
  private readonly onData = (chunk: Buffer): void => {
    this.emit('data', chunk);
  };
  private readonly onClose = (reason: string): void => {
    this.emit('close', reason);
  };
  private readonly onOpen = (): void => {
    this.emit('open');
  };

  constructor(private readonly link: ByteTransport) {
    super();
    this.description = link.description;
  }

  get isOpen(): boolean {
    return this.leased && this.link.isOpen;
  }

  start(): void {
    if (this.leased) return;
    this.leased = true;
    this.link.on('data', this.onData);
    this.link.on('close', this.onClose);
    this.link.on('open', this.onOpen);
    // The link is already open: tell the driver as a fresh transport would, once its start() has returned.
    if (this.link.isOpen) queueMicrotask(() => this.leased && this.link.isOpen && this.emit('open'));
  }

  async stop(): Promise<void> {
    if (!this.leased) return;
    this.leased = false;
    this.link.off('data', this.onData);
    this.link.off('close', this.onClose);
    this.link.off('open', this.onOpen);
    this.emit('close', 'stopped');
  }

  write(data: Buffer | string): void {
    if (this.leased) this.link.write(data);
  }
}
