import { existsSync } from 'node:fs';
import { SerialPort } from 'serialport';
import type { SerialTransportConfig } from './config.js';
import { ReopeningTransport } from './reopening-transport.js';

/** Reopen period after a loss: a replugged USB adapter is back well within 3 s. */
const RETRY_MS = 500;
/**
 * How often an open port's device node is checked. After a hang-up the native binding can read 0 bytes
 * in a loop without ever reporting the close (seen on ptys): the node vanishing is the reliable sign.
 */
const PRESENCE_CHECK_MS = 250;

/** A serial port that reopens by itself, every 500 ms, after an unplug or when absent at start. */
export class SerialTransport extends ReopeningTransport<SerialPort> {
  readonly description: string;
  private presenceTimer: NodeJS.Timeout | undefined;

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
    clearInterval(this.presenceTimer);
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
    // An unplug shows in one of three ways, whichever comes first: a close with a DisconnectedError (EIO,
    // ENXIO, EBADF), a failed write (EIO), or the device path gone. All three say the same to the user.
    port.on('error', (err: Error) => this.lost(port, `disconnected: ${err.message}`));
    port.on('close', (err?: Error | null) => this.lost(port, err ? `disconnected: ${err.message}` : 'port closed'));
    port.open((err) => {
      if (err) return this.lost(port, `cannot open: ${err.message}`);
      if (this.isCurrent(port)) {
        this.presenceTimer = setInterval(() => {
          if (!existsSync(this.config.path)) this.lost(port, 'disconnected: device removed');
        }, PRESENCE_CHECK_MS);
      }
      this.markOpen(port);
    });
    return port;
  }
}
