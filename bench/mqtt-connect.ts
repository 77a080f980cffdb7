import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import { WEBSOCKET_PATH } from '../broker/listeners.js';
import { readUsers, verifyPassword } from '../broker/credentials.js';
import { serverTlsFiles } from '../broker/tls/paths.js';
import { agentUsername } from '../protocol/index.js';
import { readCredentials } from '../runtime/credentials-file.js';
import { connectMqtt } from '../runtime/mqtt-client.js';
import { freePort } from '../tests/helpers/ports.js';
import { waitFor } from '../tests/helpers/wait.js';
import { quantile, summary } from './stats.js';
import { unitEnvironment, unitNodeFlags, unitScript } from './unit-flags.js';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 200);
/** Connections per mode through the byte-counting relay (untimed: the relay adds its own hops). */
const COUNTED = 5;
const SITE = 'bench';
const AGENT = 'pi';
const USERNAME = agentUsername(SITE, AGENT);

interface Broker {
  dataDir: string;
  plainPort: number;
  tlsPort: number;
  httpsPort: number;
  caFile: string;
  credentialsFile: string;
  stop(): Promise<void>;
}

/**
 * The broker in a process of its own, as on the server: the client's CPU is then the bench's own, and the
 * broker's scrypt and TLS work do not share its event loop.
 */
async function spawnBroker(dataDir: string, certificates: object): Promise<Broker> {
  const [plainPort, tlsPort, httpsPort] = [await freePort(), await freePort(), await freePort()];
  const config = {
    listen: { host: '127.0.0.1', port: plainPort },
    tls: { host: '127.0.0.1', port: tlsPort },
    https: { host: '127.0.0.1', port: httpsPort },
    certificates,
    dataDir,
    agents: [{ site: SITE, agent: AGENT }],
  };
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'broker.json');
  writeFileSync(file, JSON.stringify(config));
  const child: ChildProcess = spawn(process.execPath, [...unitNodeFlags('broker'), unitScript('broker'), 'broker', '-c', file], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...unitEnvironment('broker'), TREBUCHET_LOG_LEVEL: 'info', TREBUCHET_LOG_FORMAT: 'json' },
  });
  let out = '';
  let exited: number | null = null;
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.once('exit', (code) => (exited = code ?? -1));
  // Generating the CA and the server certificate at first start is part of the wait.
  await waitFor('the broker to be ready', () => {
    if (exited !== null) throw new Error(`broker exited (${exited}) before ready:\n${out}`);
    return out.includes('MQTT broker ready');
  }, 30_000);
  const tls = serverTlsFiles({ dataDir, certificates });
  return {
    dataDir,
    plainPort,
    tlsPort,
    httpsPort,
    caFile: tls.caFile!,
    credentialsFile: join(dataDir, 'credentials.json'),
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** An RSA-2048 CA and server certificate for 127.0.0.1, as an operator would bring them (certFile mode). */
function makeRsaCertificates(dir: string): { certFile: string; keyFile: string; caFile: string } {
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca-key.pem'), '-out', f('ca.pem'), '-days', '30', '-subj', '/CN=bench RSA CA');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server-key.pem'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca-key.pem'), '-CAcreateserial', '-out', f('server.pem'), '-days', '30', '-extfile', f('ext.cnf'));
  // The broker refuses a private key readable by others.
  chmodSync(f('server-key.pem'), 0o600);
  return { certFile: f('server.pem'), keyFile: f('server-key.pem'), caFile: f('ca.pem') };
}

type Transport = 'plain' | 'tls' | 'wss';
interface Mode {
  label: string;
  transport: Transport;
  broker: Broker;
  port: number;
}

const urlOf = (m: Mode, port = m.port) =>
  m.transport === 'plain' ? `mqtt://127.0.0.1:${port}` : m.transport === 'tls' ? `mqtts://127.0.0.1:${port}` : `wss://127.0.0.1:${port}${WEBSOCKET_PATH}`;

/** CPU time of this process in ms (user + system) since `from`. */
const cpuMs = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

/** One agent connection as the agent makes it, from connectMqtt to CONNACK (when `atConnack` runs); closed after. */
async function mqttConnect(m: Mode, id: string, port = m.port, atConnack = () => {}): Promise<{ ms: number; cpuMs: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const client = connectMqtt({ url: urlOf(m, port), caFile: m.broker.caFile, credentialsFile: m.broker.credentialsFile }, USERNAME, { clientId: id, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
    client.once('close', () => reject(new Error(`${m.label}: connection closed before CONNACK`)));
  });
  const result = { ms: performance.now() - t0, cpuMs: cpuMs(cpu0) };
  atConnack();
  client.removeAllListeners('close');
  await client.endAsync();
  return result;
}

/**
 * The transport's own handshake, without MQTT nor login: TCP connect for plain, TLS until secureConnect,
 * and for WSS the TLS handshake plus the HTTP upgrade until the WebSocket is open. The raw TCP socket is
 * ours, so its counters are the bytes on the wire.
 */
async function transportHandshake(m: Mode): Promise<{ ms: number; cpuMs: number; wireBytes: number; tls?: string }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const raw = netConnect({ host: '127.0.0.1', port: m.port });
  raw.once('error', () => {}); // reported through the stream above it
  // Read at each connection, as connectMqtt does.
  const ca = m.transport === 'plain' ? '' : readFileSync(m.broker.caFile, 'utf8');
  const done = (tls?: TLSSocket) => ({
    ms: performance.now() - t0,
    cpuMs: cpuMs(cpu0),
    wireBytes: raw.bytesRead + raw.bytesWritten,
    tls: tls ? `${tls.getProtocol()} ${tls.getCipher().name} ${(tls.getEphemeralKeyInfo() as { name?: string } | null)?.name ?? ''}` : undefined,
  });
  if (m.transport === 'plain') {
    await new Promise<void>((resolve, reject) => raw.once('connect', resolve).once('error', reject));
    const r = done();
    raw.destroy();
    return r;
  }
  if (m.transport === 'tls') {
    const tls = tlsConnect({ socket: raw, host: '127.0.0.1', ca, servername: '', rejectUnauthorized: true });
    await new Promise<void>((resolve, reject) => tls.once('secureConnect', resolve).once('error', reject));
    const r = done(tls);
    tls.destroy();
    return r;
  }
  let secured: TLSSocket | undefined;
  const ws = new WebSocket(urlOf(m), ['mqtt'], {
    ca,
    // ws's own tlsConnect, on our socket: an IP address gets no SNI, and `path` is not an IPC path here.
    createConnection: ((opts: object) => (secured = tlsConnect({ ...opts, socket: raw, servername: '', path: undefined }))) as never,
  });
  await new Promise<void>((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const r = done(secured);
  ws.terminate();
  return r;
}

/** A TCP relay counting the bytes through it, to weigh a whole connection without touching the client's code path. */
async function countingRelay(targetPort: number): Promise<{ port: number; bytes: () => number; close: () => Promise<void> }> {
  let bytes = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((down) => {
    const up = netConnect({ host: '127.0.0.1', port: targetPort });
    for (const s of [down, up]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
      s.on('data', (d: Buffer) => (bytes += d.length));
    }
    down.pipe(up);
    up.pipe(down);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    bytes: () => bytes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** TCP payload bytes both ways up to CONNACK (not the DISCONNECT and close after), median over COUNTED connections. */
async function bytesPerConnect(m: Mode): Promise<number> {
  const relay = await countingRelay(m.port);
  try {
    const samples: number[] = [];
    for (let i = 0; i < COUNTED; i++) {
      const before = relay.bytes();
      await mqttConnect(m, `bytes-${i}`, relay.port, () => samples.push(relay.bytes() - before));
    }
    return quantile(samples, 0.5);
  } finally {
    await relay.close();
  }
}

/**
 * `npm run bench -- mqtt-connect`: what TLS costs an agent at each connection (what a Pi pays at every
 * reconnect across the internet): connectMqtt to CONNACK over plain MQTT (the reference), MQTT over TLS and
 * MQTT over WSS on one broker with its generated ECDSA P-256 certificate, and the same with an operator's
 * RSA-2048 certificate; the rounds interleave the modes so machine noise hits them alike. Every login
 * costs the broker the same scrypt, whatever the transport: it is timed on its own, and the transport's
 * handshake alone too.
 */
export async function benchMqttConnect(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tb-bench-mqtt-connect-'));
  const brokers: Broker[] = [];
  try {
    const ecdsa = await spawnBroker(join(dir, 'ecdsa'), { names: ['127.0.0.1'] });
    brokers.push(ecdsa);
    const rsaDir = join(dir, 'rsa');
    mkdirSync(rsaDir);
    const rsa = await spawnBroker(rsaDir, makeRsaCertificates(rsaDir));
    brokers.push(rsa);
    const modes: Mode[] = [
      { label: 'plain MQTT', transport: 'plain', broker: ecdsa, port: ecdsa.plainPort },
      { label: 'MQTT/TLS ECDSA', transport: 'tls', broker: ecdsa, port: ecdsa.tlsPort },
      { label: 'MQTT/WSS ECDSA', transport: 'wss', broker: ecdsa, port: ecdsa.httpsPort },
      { label: 'MQTT/TLS RSA', transport: 'tls', broker: rsa, port: rsa.tlsPort },
      { label: 'MQTT/WSS RSA', transport: 'wss', broker: rsa, port: rsa.httpsPort },
    ];
    const user = readUsers(ecdsa.dataDir)[USERNAME];
    const password = readCredentials(ecdsa.credentialsFile)!.mqtt[USERNAME]!.password;

    // Warm-up: JIT, the CA files' first read, each broker's first login.
    for (const m of modes) for (let i = 0; i < 5; i++) await mqttConnect(m, `warm-${i}`), await transportHandshake(m);

    const connect = modes.map(() => ({ ms: [] as number[], cpuMs: 0 }));
    const handshake = modes.map(() => ({ ms: [] as number[], cpuMs: 0, wireBytes: [] as number[], tls: undefined as string | undefined }));
    const login: number[] = [];
    for (let round = 0; round < CONNECTIONS; round++) {
      // Rotated: no mode always runs just after the same other one.
      for (let k = 0; k < modes.length; k++) {
        const i = (round + k) % modes.length;
        const h = await transportHandshake(modes[i]!);
        handshake[i]!.ms.push(h.ms);
        handshake[i]!.cpuMs += h.cpuMs;
        handshake[i]!.wireBytes.push(h.wireBytes);
        handshake[i]!.tls = h.tls;
        const c = await mqttConnect(modes[i]!, `bench-${round}`);
        connect[i]!.ms.push(c.ms);
        connect[i]!.cpuMs += c.cpuMs;
      }
      if (round % 2 === 0) {
        const t0 = performance.now();
        if (!(await verifyPassword(user, password))) throw new Error('the bench agent\'s password does not check');
        login.push(performance.now() - t0);
      }
    }
    const bytes: number[] = [];
    for (const m of modes) bytes.push(await bytesPerConnect(m));

    const ms = (x: number) => x.toFixed(2).padStart(7);
    const ref = summary(connect[0]!.ms);
    const refH = summary(handshake[0]!.ms);
    const loginS = summary(login);
    console.log(`\n${CONNECTIONS} connections per mode, interleaved; broker in its own process, on loopback; each a fresh connection (no TLS session resumed)`);
    console.log(`login at the broker (scrypt, the same in every mode): median ${ms(loginS.median)} ms  p95 ${ms(loginS.p95)} ms  (${login.length} checks with its verifyPassword, in this process)`);
    console.log('\nconnectMqtt to CONNACK (transport + MQTT CONNECT + login):');
    console.log('  mode                median      p95   ×plain  −handshake  client CPU/conn  bytes/conn');
    for (const [i, m] of modes.entries()) {
      const s = summary(connect[i]!.ms);
      const afterHandshake = s.median - quantile(handshake[i]!.ms, 0.5);
      console.log(
        `  ${m.label.padEnd(16)} ${ms(s.median)} ${ms(s.p95)}   ${(s.median / ref.median).toFixed(2).padStart(5)}     ${ms(afterHandshake)}  ${ms(connect[i]!.cpuMs / CONNECTIONS)} ms  ${String(Math.round(bytes[i]!)).padStart(8)}`,
      );
    }
    console.log('\ntransport handshake alone (plain: TCP connect; TLS: until secureConnect; WSS: TLS and HTTP upgrade until open):');
    console.log('  mode                median      p95   +plain  client CPU/conn  bytes  negotiated');
    for (const [i, m] of modes.entries()) {
      const s = summary(handshake[i]!.ms);
      console.log(
        `  ${m.label.padEnd(16)} ${ms(s.median)} ${ms(s.p95)}  ${ms(s.median - refH.median)}  ${ms(handshake[i]!.cpuMs / CONNECTIONS)} ms  ${String(Math.round(quantile(handshake[i]!.wireBytes, 0.5))).padStart(5)}  ${handshake[i]!.tls ?? ''}`,
      );
    }
    console.log('\n(ms; ×plain: median over plain MQTT\'s median; −handshake: median minus the transport handshake\'s median, i.e. MQTT CONNECT and login; +plain: median minus the TCP connect\'s; CPU: this process\'s user+system over the series / N; bytes: both ways, on the wire, median)');
  } finally {
    for (const b of brokers) await b.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
