import { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';
import type { SerialTransportConfig } from './config.js';
import type { ByteTransport, ByteTransportEvents } from './transport.js';

/** Reopen period after a loss: a replugged USB adapter is back well within 3 s. */
const RETRY_MS = 500;

/**
 * A serial port that reopens by itself. A device that is unplugged (or absent at start) is reported
 * once with `close`, then the path is retried every 500 ms until stop(); errors never escape.
 */
export class SerialTransport extends EventEmitter<ByteTransportEvents> implements ByteTransport {
  readonly description: string;
  private port: SerialPort | undefined;
  private opened = false;
  private running = false;
  /** Whether the current outage was already reported, so a missing device is not announced every 500 ms. */
  private outageReported = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly config: SerialTransportConfig) {
    super();
    const parity = { none: 'N', even: 'E', odd: 'O' }[config.parity];
    this.description = `serial ${config.path} ${config.baudRate} ${config.dataBits}${parity}${config.stopBits}`;
  }

  get isOpen(): boolean {
    return this.opened;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.outageReported = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.retryTimer);
    const port = this.port;
    const wasOpen = this.opened;
    this.port = undefined;
    this.opened = false;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    if (wasOpen) this.emit('close', 'stopped');
  }

  /** Bytes written while the device is away are dropped: a command to an absent scale means nothing later. */
  write(data: Buffer | string): void {
    if (this.opened) this.port?.write(data);
  }

  private connect(): void {
    if (!this.running) return;
    let port: SerialPort;
    try {
      port = new SerialPort({
        path: this.config.path,
        baudRate: this.config.baudRate,
        dataBits: this.config.dataBits,
        parity: this.config.parity,
        stopBits: this.config.stopBits,
        autoOpen: false,
      });
    } catch (err) {
      // Invalid options throw synchronously; treat them like any other failed open.
      this.lost(undefined, `cannot open: ${(err as Error).message}`);
      return;
    }
    this.port = port;
    port.on('data', (chunk: Buffer) => this.emit('data', chunk));
    port.on('error', (err: Error) => this.lost(port, err.message));
    // A disconnect (EIO, ENXIO, EBADF on unplug) arrives as close with a DisconnectedError.
    port.on('close', (err?: Error | null) => this.lost(port, err ? `disconnected: ${err.message}` : 'port closed'));
    port.open((err) => {
      if (err) {
        this.lost(port, `cannot open: ${err.message}`);
        return;
      }
      if (port !== this.port) {
        port.close(() => undefined);
        return;
      }
      this.opened = true;
      this.outageReported = false;
      this.emit('open');
    });
  }

  /** One way down for every failure: forget the port, report once per outage, schedule the next try. */
  private lost(port: SerialPort | undefined, reason: string): void {
    if (port && port !== this.port) return; // a late event from a port already given up
    this.port = undefined;
    const wasOpen = this.opened;
    this.opened = false;
    if (port?.isOpen) port.close(() => undefined);
    if (!this.running) return;
    if (wasOpen || !this.outageReported) {
      this.outageReported = true;
      this.emit('close', reason);
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), RETRY_MS);
  }
}
