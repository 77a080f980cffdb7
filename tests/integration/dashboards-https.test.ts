import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsersFile } from '../../dashboards/auth/users-file.js';
import { dashboardsConfigSchema, type DashboardsConfigInput } from '../../dashboards/config.js';
import { startDashboards, type RunningDashboards } from '../../dashboards/server.js';
import { CONTENT_SECURITY_POLICY, STRICT_TRANSPORT_SECURITY } from '../../runtime/http-app.js';
import { rawRequest, type RawAnswer } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';

const CHEF = { name: 'chef', password: 'le-mot-de-passe-du-chef' };
const WRONG = { name: 'chef', password: 'pas-le-bon' };
/** The sign-in limit per address and minute (auth-routes.ts). */
const LOGIN_ATTEMPTS = 10;

interface Log {
  level: number;
  msg: string;
  err?: string;
}

interface Server {
  dashboards: RunningDashboards;
  logs: Log[];
}

let dir: string;
let usersFile: string;
let ca: Buffer;
const started: RunningDashboards[] = [];

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/**
 * A certificate for 127.0.0.1 signed by the test's CA, written as Let's Encrypt does: the leaf then the
 * CA in `cert`, the key alone in `key` (0600). `days` -1 makes one that ended yesterday.
 */
function issue(name: string, serial: number, days = 30): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', `${name}.csr`, '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(serial), '-days', String(days), '-extfile', 'san.ext', '-out', `${name}.leaf`);
  writeFileSync(cert, Buffer.concat([readFileSync(join(dir, `${name}.leaf`)), ca]));
  chmodSync(key, 0o600);
  return { cert, key };
}

/** The serial openssl writes for `-set_serial n`, as a TLS peer certificate reports it: hex, whole bytes. */
function serialOf(n: number): string {
  const hex = n.toString(16).toUpperCase();
  return hex.length % 2 ? `0${hex}` : hex;
}

async function start(http: DashboardsConfigInput['http']): Promise<Server> {
  const logs: Log[] = [];
  const config = dashboardsConfigSchema.parse({
    http,
    // Nothing listens there: signing in and /me never touch InfluxDB or the broker.
    mqtt: { url: 'mqtt://127.0.0.1:9', username: 'dashboards', password: 'unused' },
    influx: { url: 'http://127.0.0.1:9' },
    usersFile,
  });
  const dashboards = await startDashboards(config, pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) }));
  started.push(dashboards);
  return { dashboards, logs };
}

function signIn(server: Server, user: { name: string; password: string }, from: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return rawRequest(server.dashboards.url, 'POST', '/api/v1/login', { headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(user), from, ca });
}

const sessionCookie = (answer: RawAnswer) => (answer.headers['set-cookie'] ?? []).find((c) => c.startsWith('tb_session='));
const cookieAttributes = (setCookie: string) => setCookie.split(';').slice(1).map((a) => a.trim().toLowerCase());

let tlsFiles: { cert: string; key: string };
let secure: Server;
let plain: Server;
let proxied: Server;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tb-https-'));
  usersFile = join(dir, 'dashboards', 'users.json');
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Trebuchet test CA');
  ca = readFileSync(join(dir, 'ca.pem'));
  tlsFiles = issue('served', 1001);
  await new UsersFile(usersFile).add(CHEF.name, 'admin', CHEF.password);
  secure = await start({ host: '127.0.0.1', port: 0, https: { certFile: tlsFiles.cert, keyFile: tlsFiles.key } });
  plain = await start({ host: '127.0.0.1', port: 0 });
  proxied = await start({ host: '127.0.0.1', port: 0, trustProxy: ['127.0.0.1'] });
});

afterAll(async () => {
  await Promise.all(started.map((d) => d.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('dashboards over HTTPS', () => {
  it('signs in over HTTPS with a Secure, HttpOnly session cookie; every answer has HSTS and the CSP', async () => {
    expect(secure.dashboards.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const login = await signIn(secure, CHEF, '127.0.0.2');
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    expect(login.certificateSerial).toBe(serialOf(1001));
    const setCookie = sessionCookie(login)!;
    expect(cookieAttributes(setCookie)).toEqual(expect.arrayContaining(['secure', 'httponly', 'samesite=strict']));
    const cookie = setCookie.split(';')[0]!;
    const me = await rawRequest(secure.dashboards.url, 'GET', '/api/v1/me', { headers: { cookie }, ca });
    const page = await rawRequest(secure.dashboards.url, 'GET', '/', { ca });
    const refused = await rawRequest(secure.dashboards.url, 'GET', '/api/v1/me', { ca });
    expect([me.status, refused.status]).toEqual([200, 401]);
    for (const answer of [login, me, page, refused]) {
      expect(answer.headers['strict-transport-security']).toBe(STRICT_TRANSPORT_SECURITY);
      expect(answer.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    }
  });

  it('on plain HTTP on loopback (npm start) signs in with a cookie without Secure, and sends no HSTS', async () => {
    const login = await signIn(plain, CHEF, '127.0.0.2');
    expect(login.status).toBe(200);
    expect(cookieAttributes(sessionCookie(login)!)).not.toContain('secure');
    expect(login.headers['strict-transport-security']).toBeUndefined();
    expect(login.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
  });

  it('believes X-Forwarded-Proto from no client when trustProxy is off, nor from an address that is not the proxy', async () => {
    const forged = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.5' };
    for (const [server, from] of [
      [plain, '127.0.0.1'],
      [proxied, '127.0.0.3'],
    ] as const) {
      const login = await signIn(server, CHEF, from, forged);
      expect(login.status).toBe(200);
      expect(cookieAttributes(sessionCookie(login)!), server.dashboards.url).not.toContain('secure');
      expect(login.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('keeps the sign-in limit on the real address: a guesser forging X-Forwarded-For gets no more attempts', async () => {
    for (const [server, from] of [
      [plain, '127.0.0.4'],
      [proxied, '127.0.0.4'],
    ] as const) {
      const statuses: number[] = [];
      for (let i = 0; i <= LOGIN_ATTEMPTS; i++) statuses.push((await signIn(server, WRONG, from, { 'x-forwarded-for': `198.51.100.${i + 1}` })).status);
      expect(statuses, server.dashboards.url).toEqual([...Array<number>(LOGIN_ATTEMPTS).fill(401), 429]);
      // Another address is not held back by that guesser.
      expect((await signIn(server, CHEF, '127.0.0.5')).status).toBe(200);
    }
  });

  it('with trustProxy [127.0.0.1], believes the proxy: its X-Forwarded-Proto makes the cookie Secure, its X-Forwarded-For is the address limited', async () => {
    const viaProxy = (user: typeof CHEF, client: string) => signIn(proxied, user, '127.0.0.1', { 'x-forwarded-proto': 'https', 'x-forwarded-for': client });
    const login = await viaProxy(CHEF, '203.0.113.7');
    expect(login.status).toBe(200);
    expect(cookieAttributes(sessionCookie(login)!)).toContain('secure');
    expect(login.headers['strict-transport-security']).toBe(STRICT_TRANSPORT_SECURITY);

    const statuses: number[] = [];
    for (let i = 0; i <= LOGIN_ATTEMPTS; i++) statuses.push((await viaProxy(WRONG, '203.0.113.8')).status);
    expect(statuses).toEqual([...Array<number>(LOGIN_ATTEMPTS).fill(401), 429]);
    // Every client behind the proxy has its own limit: the proxy's address is not the one held back.
    expect((await viaProxy(CHEF, '203.0.113.9')).status).toBe(200);
  });

  it('takes a renewed certificate without a restart: new connections get it, an open connection and a session keep working', async () => {
    const cookie = sessionCookie(await signIn(secure, CHEF, '127.0.0.6'))!.split(';')[0]!;
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1, ca });
    try {
      const me = (opts: { agent?: Agent } = {}) => rawRequest(secure.dashboards.url, 'GET', '/api/v1/me', { headers: { cookie }, ca, ...opts });
      expect((await me({ agent: keepAlive })).certificateSerial).toBe(serialOf(1001));

      // A half-done renewal (the new certificate, the old key still there) is not taken: the old pair stays.
      const renewed = issue('renewed', 1002);
      copyFileSync(renewed.cert, tlsFiles.cert);
      await waitFor('the mismatched pair to be refused', () => secure.logs.find((l) => l.level === 40 && l.err?.includes('is not the key of the certificate')));
      expect((await me()).certificateSerial).toBe(serialOf(1001));

      copyFileSync(renewed.key, tlsFiles.key);
      const fresh = await waitFor('a new connection to get the renewed certificate', async () => {
        const answer = await me();
        return answer.certificateSerial === serialOf(1002) && answer;
      });
      expect(fresh.status).toBe(200);
      expect(secure.logs.some((l) => /new connections get the new certificate/.test(l.msg))).toBe(true);
      // The connection opened before the renewal is still served, on the certificate it was opened with.
      const old = await me({ agent: keepAlive });
      expect([old.status, old.certificateSerial]).toEqual([200, serialOf(1001)]);
    } finally {
      keepAlive.destroy();
    }
  });

  it('refuses to start with a private key other users may read, naming the fix', async () => {
    const leaked = join(dir, 'leaked.key');
    copyFileSync(tlsFiles.key, leaked);
    chmodSync(leaked, 0o644);
    await expect(start({ host: '127.0.0.1', port: 0, https: { certFile: tlsFiles.cert, keyFile: leaked } })).rejects.toThrow(`is readable by other users (mode 644): chmod 600 ${leaked}`);
  });

  it('refuses to start with an expired certificate, naming the file and its end date', async () => {
    const expired = issue('expired', 1003, -1);
    const end = new Date(new X509Certificate(readFileSync(expired.cert)).validTo).toISOString();
    await expect(start({ host: '127.0.0.1', port: 0, https: { certFile: expired.cert, keyFile: expired.key } })).rejects.toThrow(
      `http.https.certFile: le certificat ${expired.cert} a expiré le ${end}`,
    );
  });

  it('warns at start when plain HTTP listens beyond loopback, naming both fixes; not on loopback nor over HTTPS', async () => {
    const open = await start({ host: '0.0.0.0', port: 0 });
    const warning = open.logs.find((l) => l.level === 40 && l.msg.includes('plain HTTP on 0.0.0.0'));
    expect(warning?.msg).toContain('passwords and session cookies cross the network in clear');
    expect(warning?.msg).toContain('http.https (certFile, keyFile)');
    expect(warning?.msg).toContain('http.trustProxy');
    for (const quiet of [plain, secure, proxied]) expect(quiet.logs.some((l) => l.msg.includes('plain HTTP on'))).toBe(false);
  });
});
