import { SerialPort } from 'serialport';
import type { SerialTransportConfig } from './config.js';
import { ReopeningTransport } from './reopening-transport.js';

/** Reopen period after a loss: a replugged USB adapter is back well within 3 s. */
const RETRY_MS = 500;

/** A serial port that reopens by itself, every 500 ms, after an unplug or when absent at start. */
export class SerialTransport extends ReopeningTransport<SerialPort> {
  readonly description: string;

  constructor(private readonly config: SerialTransportConfig) {
    super();
    const parity = { none: 'N', even: 'E', odd: 'O' }[config.parity];
    this.description = `serial ${config.path} ${config.baudRate} ${config.dataBits}${parity}${config.stopBits}`;
  }

  protected retryDelayMs(): number {
    return RETRY_MS;
  }

  protected writeTo(port: SerialPort, data: Buffer | string): void {
    port.write(data);
  }

  protected close(port: SerialPort): Promise<void> {
    return new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
  }

  protected open(): SerialPort | undefined {
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
      queueMicrotask(() => this.lost(undefined, `cannot open: ${(err as Error).message}`));
      return undefined;
    }
    port.on('data', (chunk: Buffer) => this.emit('data', chunk));
    port.on('error', (err: Error) => this.lost(port, err.message));
    // A disconnect (EIO, ENXIO, EBADF on unplug) arrives as close with a DisconnectedError.
    port.on('close', (err?: Error | null) => this.lost(port, err ? `disconnected: ${err.message}` : 'port closed'));
    port.open((err) => (err ? this.lost(port, `cannot open: ${err.message}`) : this.markOpen(port)));
    return port;
  }
}
