import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import type { TcpTransportConfig } from './config.js';
import type { ByteTransport, ByteTransportEvents } from './transport.js';

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 2_000;
/** A connect to a host that drops SYNs would otherwise hang for minutes. */
const CONNECT_TIMEOUT_MS = 3_000;

/**
 * A TCP client to a serial device server. Reconnects with a doubling delay capped at 2 s; a loss is
 * reported once with `close`, and failed attempts during the same outage are not repeated.
 */
export class TcpTransport extends EventEmitter<ByteTransportEvents> implements ByteTransport {
  readonly description: string;
  private socket: Socket | undefined;
  private opened = false;
  private running = false;
  private outageReported = false;
  private delayMs = FIRST_RETRY_MS;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly config: TcpTransportConfig) {
    super();
    this.description = `tcp ${config.host}:${config.port}`;
  }

  get isOpen(): boolean {
    return this.opened;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.outageReported = false;
    this.delayMs = FIRST_RETRY_MS;
    this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.retryTimer);
    const socket = this.socket;
    const wasOpen = this.opened;
    this.socket = undefined;
    this.opened = false;
    if (socket && !socket.destroyed) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.destroy();
      });
    }
    if (wasOpen) this.emit('close', 'stopped');
  }

  /** Bytes written while disconnected are dropped, as on a serial line with nothing at the other end. */
  write(data: Buffer | string): void {
    if (this.opened) this.socket?.write(data);
  }

  private connect(): void {
    if (!this.running) return;
    const socket = new Socket();
    this.socket = socket;
    let lastError = 'connection closed';
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => {
      lastError = `no answer within ${CONNECT_TIMEOUT_MS} ms`;
      socket.destroy();
    });
    socket.on('connect', () => {
      socket.setTimeout(0);
      socket.setNoDelay(true);
      if (this.config.keepAliveMs > 0) socket.setKeepAlive(true, this.config.keepAliveMs);
      this.opened = true;
      this.outageReported = false;
      this.delayMs = FIRST_RETRY_MS;
      this.emit('open');
    });
    socket.on('data', (chunk: Buffer) => this.emit('data', chunk));
    socket.on('error', (err) => {
      lastError = err.message;
    });
    // 'close' always follows 'error', so every loss goes through here once.
    socket.on('close', () => this.lost(socket, lastError));
    socket.connect(this.config.port, this.config.host);
  }

  private lost(socket: Socket, reason: string): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    const wasOpen = this.opened;
    this.opened = false;
    if (!this.running) return;
    if (wasOpen || !this.outageReported) {
      this.outageReported = true;
      this.emit('close', reason);
    }
    this.retryTimer = setTimeout(() => this.connect(), this.delayMs);
    this.delayMs = Math.min(this.delayMs * 2, MAX_RETRY_MS);
  }
}
