import type { TransportConfig } from './config.js';
import { SerialTransport } from './serial-transport.js';
import { TcpTransport } from './tcp-transport.js';
import type { ByteTransport } from './transport.js';

export * from './config.js';
export type { ByteTransport, ByteTransportEvents } from './transport.js';
export { SerialTransport } from './serial-transport.js';
export { TcpTransport } from './tcp-transport.js';

/** The transport a device config asks for; nothing is opened until start(). */
export function createTransport(config: TransportConfig): ByteTransport {
  switch (config.type) {
    case 'serial':
      return new SerialTransport(config);
    case 'tcp':
      return new TcpTransport(config);
  }
}
