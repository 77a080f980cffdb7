import type { EventEmitter } from 'node:events';

export interface ByteTransportEvents {
  data: [chunk: Buffer];
  open: [];
  close: [reason: string];
}

/**
 * A byte stream to a device (a serial port or a TCP serial device server) that reopens by itself
 * after the device disappears; consumers only see data, open and close.
 */
export interface ByteTransport extends EventEmitter<ByteTransportEvents> {
  readonly description: string;
  readonly isOpen: boolean;
  start(): void;
  stop(): Promise<void>;
  write(data: Buffer | string): void;
}
