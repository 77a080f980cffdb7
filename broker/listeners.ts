import type { Server as HttpsServer } from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { Aedes } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { createHttpApp } from '../runtime/http-app.js';
import { isLoopbackHost } from '../runtime/loopback.js';
import type { Logger } from '../runtime/log.js';
import type { BrokerConfig } from './config.js';
import { enrolmentRoutes } from './enrolment/routes.js';
import { limitPacketSize, PACKET_HEADROOM_BYTES } from './packet-size.js';
import type { ServerIdentity } from './tls/server-identity.js';

export const WEBSOCKET_PATH = '/mqtt';

/** TLS 1.2 at least: what every MQTT client of the last decade speaks, and nothing older. */
const MIN_TLS = 'TLSv1.2' as const;

export interface Listeners {
  port: number;
  tlsPort: number | undefined;
  httpsPort: number | undefined;
  close(): Promise<void>;
}

/** One connection limit for every listener together: an attacker cannot take more by using another port. */
class ConnectionGate {
  private open = 0;
  constructor(
    private readonly max: number,
    private readonly log: Logger,
  ) {}

  admit(socket: Socket): boolean {
    if (this.open >= this.max) {
      this.log.warn({ address: socket.remoteAddress, maxConnections: this.max }, 'MQTT connection refused: connection limit reached');
      // A reset, as Node's own server.maxConnections does: the client errors at once instead of waiting on a CONNACK.
      socket.resetAndDestroy();
      return false;
    }
    this.open++;
    socket.once('close', () => this.open--);
    return true;
  }
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/**
 * The broker's doors: plain MQTT (loopback, for this machine's components), MQTT over TLS, and one HTTPS
 * port carrying MQTT over WebSocket and the enrolment endpoint. Every door leads to the same aedes, the
 * same authentication and ACL; a renewed certificate is served to new connections without a restart.
 */
export async function openListeners(config: BrokerConfig, aedes: Aedes, identity: ServerIdentity | undefined, log: Logger): Promise<Listeners> {
  const maxPacketBytes = config.limits.maxPayloadBytes + PACKET_HEADROOM_BYTES;
  const gate = new ConnectionGate(config.limits.maxConnections, log);
  const accept = (stream: Duplex, address: string | undefined) => {
    aedes.handle(stream);
    limitPacketSize(stream, maxPacketBytes, (reason) => log.warn({ address, reason }, 'MQTT connection cut: packet too large'));
  };
  const servers: Server[] = [];

  const plain = createServer((socket) => {
    if (gate.admit(socket)) accept(socket, socket.remoteAddress);
  });
  servers.push(plain);
  const port = await listen(plain, config.listen.host, config.listen.port);
  log.info({ host: config.listen.host, port }, 'MQTT broker listening (plain MQTT)');
  if (!isLoopbackHost(config.listen.host)) {
    log.warn({ host: config.listen.host }, 'plain MQTT on an address other than loopback (allowPlaintext): passwords cross the network in clear');
  }

  let tlsPort: number | undefined;
  let tlsServer: TlsServer | undefined;
  if (config.tls && identity) {
    tlsServer = createTlsServer({ ...identity.context(), minVersion: MIN_TLS }, (socket) => accept(socket, socket.remoteAddress));
    tlsServer.on('connection', (socket: Socket) => gate.admit(socket));
    // A failed handshake (wrong CA at the client, plaintext on this port, a scanner) is the client's problem.
    tlsServer.on('tlsClientError', (err, socket) => log.debug({ address: socket.remoteAddress, err: err.message }, 'TLS handshake failed'));
    servers.push(tlsServer);
    tlsPort = await listen(tlsServer, config.tls.host, config.tls.port);
    log.info({ host: config.tls.host, port: tlsPort }, 'MQTT broker listening (MQTT over TLS)');
  }

  let httpsPort: number | undefined;
  let httpsServer: HttpsServer | undefined;
  let app: ReturnType<typeof createHttpApp> | undefined;
  if (config.https && identity) {
    const wss = new WebSocketServer({ noServer: true, maxPayload: maxPacketBytes });
    app = createHttpApp(log, {}, { https: { ...identity.context(), minVersion: MIN_TLS } });
    // Fastify types its server as http.Server whatever it is: this one is an https.Server.
    httpsServer = app.server as unknown as HttpsServer;
    const server = httpsServer!;
    server.on('connection', (socket: Socket) => gate.admit(socket));
    server.on('tlsClientError', (err, socket) => log.debug({ address: socket.remoteAddress, err: err.message }, 'TLS handshake failed'));
    server.on('upgrade', (req, socket, head) => {
      if (new URL(req.url ?? '/', 'https://x').pathname !== WEBSOCKET_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        // aedes logs and rate-limits by the connection's address: a WebSocket stream has none of its own.
        const stream = Object.assign(createWebSocketStream(ws), { remoteAddress: req.socket.remoteAddress });
        accept(stream, req.socket.remoteAddress);
      });
    });
    await app.register(enrolmentRoutes, { config, caPem: identity.caPem, tlsPort, log });
    app.get('/', async () => ({ service: 'trebuchet-broker', websocket: WEBSOCKET_PATH }));
    await app.listen({ host: config.https.host, port: config.https.port });
    httpsPort = (server.address() as { port: number }).port;
    log.info({ host: config.https.host, port: httpsPort }, `MQTT broker listening (MQTT over WebSocket at ${WEBSOCKET_PATH}, enrolment)`);
  }

  identity?.onChange(() => {
    tlsServer?.setSecureContext({ ...identity.context(), minVersion: MIN_TLS });
    httpsServer?.setSecureContext({ ...identity.context(), minVersion: MIN_TLS });
  });

  return {
    port,
    tlsPort,
    httpsPort,
    async close() {
      await Promise.all(servers.map(close));
      await app?.close();
    },
  };
}
