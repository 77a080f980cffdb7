import { existsSync } from 'node:fs';
import type { SerialPort } from 'serialport';
import type { SerialTransportConfig } from './config.js';
import { ReopeningTransport } from './reopening-transport.js';

/** Reopen period after a loss: a replugged USB adapter is back well within 3 s. */
const RETRY_MS = 500;
/**
 * How often an open port's device node is checked. After a hang-up the native binding can read 0 bytes
 * in a loop without ever reporting the close (seen on ptys): the node vanishing is the reliable sign.
 */
const PRESENCE_CHECK_MS = 250;

/**
 * serialport and its native binding cost an agent ~12 MiB: loaded with the first serial device, so an agent
 * whose devices are all on Modbus TCP or serial device servers never pays for it.
 */
let serialPortClass: typeof SerialPort | undefined;
const loadSerialPort = async () => (serialPortClass ??= (await import('serialport')).SerialPort);

/** A serial port that reopens by itself, every 500 ms, after an unplug or when absent at start. */
export class SerialTransport extends ReopeningTransport<SerialPort> {
  readonly description: string;
  private presenceTimer: NodeJS.Timeout | undefined;
  /** Between start() and stop(): what the library's loading waits on. */
  private wanted = false;

  constructor(private readonly config: SerialTransportConfig) {
    super();
    const parity = { none: 'N', even: 'E', odd: 'O' }[config.parity];
    this.description = `serial ${config.path} ${config.baudRate} ${config.dataBits}${parity}${config.stopBits}`;
  }

  override start(): void {
    this.wanted = true;
    if (serialPortClass) return super.start();
    loadSerialPort().then(
      () => this.wanted && super.start(),
      (err: Error) => this.emit('close', `cannot load serialport: ${err.message}`),
    );
  }

  override stop(): Promise<void> {
    this.wanted = false;
    return super.stop();
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
      port = new serialPortClass!({
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
