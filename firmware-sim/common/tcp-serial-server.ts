import { createServer, type Server, type Socket } from 'node:net';
import type { ByteSink, SimulatedDevice } from './sim-device.js';

/**
 * A serial device server (ser2net, Moxa NPort in raw TCP mode) with a simulated device behind it:
 * every connected client receives the device's bytes, and what clients send reaches the device.
 */
export class TcpSerialServer implements ByteSink {
  private readonly clients = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly device: SimulatedDevice,
    readonly host: string,
    readonly port: number,
  ) {}

  /** Listens on host:port (default 127.0.0.1, port 0: any free port, read it back from `port`). */
  static async listen(device: SimulatedDevice, options: { host?: string; port?: number } = {}): Promise<TcpSerialServer> {
    const host = options.host ?? '127.0.0.1';
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const instance = new TcpSerialServer(server, device, host, port);
    server.on('connection', (socket) => instance.accept(socket));
    device.setSink(instance);
    return instance;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  write(chunk: Buffer): void {
    for (const client of this.clients) client.write(chunk);
  }

  /** Cuts every connection, as a network glitch or a device server reboot would; the server keeps listening. */
  dropClients(): void {
    for (const client of this.clients) client.destroy();
    this.clients.clear();
  }

  async close(): Promise<void> {
    this.device.setSink(undefined);
    this.dropClients();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    this.clients.add(socket);
    socket.on('data', (chunk: Buffer) => this.device.receive(chunk));
    socket.on('error', () => undefined); // a client that vanishes is simply forgotten
    socket.on('close', () => this.clients.delete(socket));
  }
}
