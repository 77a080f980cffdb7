import { Socket } from 'node:net';
import type { TcpTransportConfig } from './config.js';
import { ReopeningTransport } from './reopening-transport.js';

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 2_000;
/** A connect to a host that drops SYNs would otherwise hang for minutes. */
const CONNECT_TIMEOUT_MS = 3_000;

/** A TCP client to a serial device server, reconnecting with a doubling delay capped at 2 s. */
export class TcpTransport extends ReopeningTransport<Socket> {
  readonly description: string;
  private delayMs = FIRST_RETRY_MS;

  constructor(private readonly config: TcpTransportConfig) {
    super();
    this.description = `tcp ${config.host}:${config.port}`;
  }

  protected retryDelayMs(): number {
    const delay = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, MAX_RETRY_MS);
    return delay;
  }

  protected override resetRetryDelay(): void {
    this.delayMs = FIRST_RETRY_MS;
  }

  protected writeTo(socket: Socket, data: Buffer | string): void {
    socket.write(data);
  }

  protected close(socket: Socket): Promise<void> {
    if (socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  protected open(): Socket {
    const socket = new Socket();
    let lastError = 'connection closed';
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => {
      lastError = `no answer within ${CONNECT_TIMEOUT_MS} ms`;
      socket.destroy();
    });
    socket.on('connect', () => {
      socket.setTimeout(0);
      socket.setNoDelay(true);
      if (this.config.keepAliveMs > 0) socket.setKeepAlive(true, this.config.keepAliveMs);
      this.markOpen(socket);
    });
    socket.on('data', (chunk: Buffer) => this.emit('data', chunk));
    socket.on('error', (err) => {
      lastError = err.message;
    });
    // 'close' always follows 'error', so every loss goes through here once.
    socket.on('close', () => this.lost(socket, lastError));
    socket.connect(this.config.port, this.config.host);
    return socket;
  }
}
