import { EventEmitter } from 'node:events';
import type { ByteTransport, ByteTransportEvents } from './transport.js';

/**
 * What serial ports and TCP device servers share: a link that comes and goes. A loss (or an absence at
 * start) is reported once with `close`, then the link is reopened after `retryDelayMs()` until stop();
 * errors never escape. Subclasses only open, write and close their own kind of handle.
 */
export abstract class ReopeningTransport<H> extends EventEmitter<ByteTransportEvents> implements ByteTransport {
  abstract readonly description: string;
  private handle: H | undefined;
  private opened = false;
  private running = false;
  /** Whether the current outage was already reported, so a missing device is not announced at every retry. */
  private outageReported = false;
  private retryTimer: NodeJS.Timeout | undefined;

  /** Starts opening a new handle; the subclass calls opened(h) or lost(h, reason) later. */
  protected abstract open(): H | undefined;
  protected abstract writeTo(handle: H, data: Buffer | string): void;
  protected abstract close(handle: H): Promise<void>;
  /** How long to wait before the next attempt; `reset` after a successful open. */
  protected abstract retryDelayMs(): number;
  protected resetRetryDelay(): void {}

  get isOpen(): boolean {
    return this.opened;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.outageReported = false;
    this.resetRetryDelay();
    this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.retryTimer);
    const handle = this.handle;
    const wasOpen = this.opened;
    this.handle = undefined;
    this.opened = false;
    if (handle !== undefined) await this.close(handle);
    if (wasOpen) this.emit('close', 'stopped');
  }

  /** Bytes written while the device is away are dropped: a command to an absent scale means nothing later. */
  write(data: Buffer | string): void {
    if (this.opened && this.handle !== undefined) this.writeTo(this.handle, data);
  }

  private connect(): void {
    if (!this.running) return;
    this.handle = this.open();
  }

  /** Whether `handle` is the one in use (events from a handle already given up are ignored). */
  protected isCurrent(handle: H): boolean {
    return handle === this.handle;
  }

  protected markOpen(handle: H): void {
    if (!this.isCurrent(handle)) {
      void this.close(handle);
      return;
    }
    this.opened = true;
    this.outageReported = false;
    this.resetRetryDelay();
    this.emit('open');
  }

  /** One way down for every failure: forget the handle, report once per outage, schedule the next try. */
  protected lost(handle: H | undefined, reason: string): void {
    if (handle !== undefined && !this.isCurrent(handle)) return;
    this.handle = undefined;
    const wasOpen = this.opened;
    this.opened = false;
    if (handle !== undefined) void this.close(handle);
    if (!this.running) return;
    if (wasOpen || !this.outageReported) {
      this.outageReported = true;
      this.emit('close', reason);
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), this.retryDelayMs());
  }
}
