import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { CertificatesConfig } from '../config.js';
import { createCertificateAuthority, issueServerCertificate, type PemPair } from './certificate-authority.js';
import { generatedTlsPaths } from './paths.js';
import { loadServerIdentity, type ServerIdentity } from './server-identity.js';

const DAY_MS = 86_400_000;
const NAMES = ['localhost', '127.0.0.1'];

interface LogLine {
  level: number;
  msg: string;
  why?: string;
}

const identities: ServerIdentity[] = [];
afterEach(() => {
  for (const identity of identities.splice(0)) identity.close();
});

const newDir = () => mkdtempSync(join(tmpdir(), 'tb-server-identity-'));

async function load(dataDir: string, certificates: CertificatesConfig) {
  const logs: LogLine[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
  const identity = await loadServerIdentity({ dataDir, certificates }, log);
  identities.push(identity);
  return { identity, logs };
}

const leafOf = (identity: ServerIdentity) => new X509Certificate(identity.context().cert as string);
const modeOf = (path: string) => statSync(path).mode & 0o777;
/** Resolves at the identity's next change. */
const nextChange = (identity: ServerIdentity) => new Promise<void>((resolve) => identity.onChange(resolve));

describe('server identity, generated', () => {
  it('makes a CA and a server certificate at first start, keys readable by the broker alone', async () => {
    const dataDir = newDir();
    const { identity, logs } = await load(dataDir, { names: NAMES });
    const paths = generatedTlsPaths(dataDir);
    for (const file of [paths.caCert, paths.caKey, paths.serverCert, paths.serverKey]) expect(existsSync(file), file).toBe(true);
    expect(modeOf(paths.caKey)).toBe(0o600);
    expect(modeOf(paths.serverKey)).toBe(0o600);
    expect(modeOf(paths.dir) & 0o077).toBe(0);
    const ca = new X509Certificate(readFileSync(paths.caCert));
    const leaf = leafOf(identity);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(identity.caPem).toBe(readFileSync(paths.caCert, 'utf8'));
    expect(identity.caSha256).toBe(ca.fingerprint256.replace(/:/g, '').toLowerCase());
    expect(identity.names()).toEqual(NAMES);
    expect(identity.context().key).toBe(readFileSync(paths.serverKey, 'utf8'));
    expect(logs.map((l) => l.why).filter(Boolean)).toEqual(['first start']);
  });

  it('reuses the same CA and server certificate at the next start', async () => {
    const dataDir = newDir();
    // IPv6 addresses as an operator writes them: the certificate spells them `2001:db8:0:…`, which is the same.
    const names = [...NAMES, '::1', '2001:db8::10'];
    const first = await load(dataDir, { names });
    const second = await load(dataDir, { names: [...names].reverse() });
    expect(second.identity.caSha256).toBe(first.identity.caSha256);
    expect(leafOf(second.identity).serialNumber).toBe(leafOf(first.identity).serialNumber);
    expect(second.logs.filter((l) => l.msg === 'TLS: issued a server certificate')).toEqual([]);
  });

  it('issues a new server certificate, under the same CA, when the configured names change', async () => {
    const dataDir = newDir();
    const first = await load(dataDir, { names: NAMES });
    const names = [...NAMES, 'trebuchet.example.org', '2001:db8::10'];
    const second = await load(dataDir, { names });
    const leaf = leafOf(second.identity);
    expect(leaf.serialNumber).not.toBe(leafOf(first.identity).serialNumber);
    expect(second.identity.caSha256).toBe(first.identity.caSha256);
    expect(leaf.checkIssued(new X509Certificate(first.identity.caPem!))).toBe(true);
    expect(leaf.checkHost('trebuchet.example.org')).toBe('trebuchet.example.org');
    expect(leaf.checkIP('2001:db8::10')).toBe('2001:db8::10');
    expect(second.logs.find((l) => l.why)?.why).toBe('it does not cover trebuchet.example.org, 2001:db8::10');
    // Written where Mosquitto (and the next start) read it.
    expect(new X509Certificate(readFileSync(generatedTlsPaths(dataDir).serverCert)).serialNumber).toBe(leaf.serialNumber);
  });

  it('issues a new server certificate when the CA was made anew (its files removed)', async () => {
    const dataDir = newDir();
    const first = await load(dataDir, { names: NAMES });
    const { caCert, caKey } = generatedTlsPaths(dataDir);
    rmSync(caCert);
    rmSync(caKey);
    const second = await load(dataDir, { names: NAMES });
    expect(second.identity.caSha256).not.toBe(first.identity.caSha256);
    const leaf = leafOf(second.identity);
    expect(leaf.serialNumber).not.toBe(leafOf(first.identity).serialNumber);
    expect(leaf.checkIssued(new X509Certificate(second.identity.caPem!))).toBe(true);
    expect(leaf.verify(new X509Certificate(second.identity.caPem!).publicKey)).toBe(true);
    expect(second.logs.find((l) => l.why)?.why).toBe('it is not signed by the current CA');
  });

  /** Writes over the generated server certificate one from the same CA that ends in `days`. */
  async function replaceServerCertificate(dataDir: string, days: number): Promise<string> {
    const paths = generatedTlsPaths(dataDir);
    const ca: PemPair = { certPem: readFileSync(paths.caCert, 'utf8'), keyPem: readFileSync(paths.caKey, 'utf8') };
    const pair = await issueServerCertificate(ca, { names: NAMES, validityDays: 365, now: new Date(Date.now() - 300 * DAY_MS), notAfter: new Date(Date.now() + days * DAY_MS) });
    writeFileSync(paths.serverCert, pair.certPem);
    writeFileSync(paths.serverKey, pair.keyPem, { mode: 0o600 });
    return new X509Certificate(pair.certPem).serialNumber;
  }

  it('renews at start a server certificate within 30 days of its end, and keeps one further from it', async () => {
    const dataDir = newDir();
    const first = await load(dataDir, { names: NAMES });
    const far = await replaceServerCertificate(dataDir, 31);
    expect(leafOf((await load(dataDir, { names: NAMES })).identity).serialNumber).toBe(far);
    const near = await replaceServerCertificate(dataDir, 29);
    const renewed = await load(dataDir, { names: NAMES });
    const leaf = leafOf(renewed.identity);
    expect(leaf.serialNumber).not.toBe(near);
    expect(renewed.identity.caSha256).toBe(first.identity.caSha256);
    expect(new Date(leaf.validTo).getTime()).toBeGreaterThan(Date.now() + 364 * DAY_MS);
    expect(renewed.logs.find((l) => l.why)?.why).toMatch(/^it ends on /);
  });

  it('renew() issues a new certificate now and tells the listeners', async () => {
    const dataDir = newDir();
    const { identity } = await load(dataDir, { names: NAMES });
    const before = leafOf(identity).serialNumber;
    const changed = nextChange(identity);
    await identity.renew();
    await changed;
    const after = leafOf(identity);
    expect(after.serialNumber).not.toBe(before);
    expect(new X509Certificate(readFileSync(generatedTlsPaths(dataDir).serverCert)).serialNumber).toBe(after.serialNumber);
    expect(after.checkIssued(new X509Certificate(identity.caPem!))).toBe(true);
  });

  it('refuses a CA key other users may read, saying how to fix it', async () => {
    const dataDir = newDir();
    await load(dataDir, { names: NAMES });
    const { caKey, serverKey } = generatedTlsPaths(dataDir);
    chmodSync(caKey, 0o644);
    await expect(load(dataDir, { names: NAMES })).rejects.toThrow(`is readable by other users (mode 644): chmod 600 ${caKey}`);
    chmodSync(caKey, 0o600);
    chmodSync(serverKey, 0o640);
    await expect(load(dataDir, { names: NAMES })).rejects.toThrow(`chmod 600 ${serverKey}`);
  });
});

describe('server identity, operator files', () => {
  let ca: PemPair;

  /** An operator's certificate pair in `dir` (0600 key), as certbot leaves them. */
  async function writePair(dir: string, request: { names?: string[]; days?: number; notAfter?: Date; keyFrom?: PemPair } = {}) {
    ca ??= await createCertificateAuthority('operator CA', 365);
    const pair = await issueServerCertificate(ca, { names: request.names ?? NAMES, validityDays: request.days ?? 90, now: request.notAfter && new Date(request.notAfter.getTime() - DAY_MS), notAfter: request.notAfter });
    const certFile = join(dir, 'fullchain.pem');
    const keyFile = join(dir, 'privkey.pem');
    writeFileSync(certFile, pair.certPem);
    writeFileSync(keyFile, (request.keyFrom ?? pair).keyPem, { mode: 0o600 });
    chmodSync(keyFile, 0o600);
    return { certFile, keyFile, pair };
  }

  it('serves the operator\'s files, and the CA they name for agents to pin', async () => {
    const dir = newDir();
    const { certFile, keyFile, pair } = await writePair(dir);
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, ca.certPem);
    const { identity } = await load(dir, { certFile, keyFile, caFile });
    expect(identity.context()).toEqual({ key: pair.keyPem, cert: pair.certPem });
    expect(identity.caPem).toBe(ca.certPem);
    expect(identity.caSha256).toBe(new X509Certificate(ca.certPem).fingerprint256.replace(/:/g, '').toLowerCase());
    expect(identity.names()).toEqual(NAMES);
    // Nothing is generated beside them.
    expect(existsSync(generatedTlsPaths(dir).dir)).toBe(false);
    const publicCa = await load(dir, { certFile, keyFile });
    expect(publicCa.identity.caPem).toBeUndefined();
    expect(publicCa.identity.caSha256).toBeUndefined();
  });

  it('refuses an expired certificate, naming the file and its end', async () => {
    const dir = newDir();
    const ended = new Date(Date.now() - DAY_MS);
    const { certFile, keyFile, pair } = await writePair(dir, { notAfter: ended });
    const end = new Date(new X509Certificate(pair.certPem).validTo).toISOString();
    expect(Math.abs(Date.parse(end) - ended.getTime())).toBeLessThan(1000);
    await expect(load(dir, { certFile, keyFile })).rejects.toThrow(`certificates.certFile: le certificat ${certFile} a expiré le ${end}`);
    await expect(load(dir, { certFile, keyFile })).rejects.toThrow(`the certificate ${certFile} expired on ${end}: renew it (certbot renew)`);
  });

  it('refuses a key that is not the certificate\'s', async () => {
    const dir = newDir();
    const { certFile, keyFile } = await writePair(dir, { keyFrom: await createCertificateAuthority('unrelated', 1) });
    await expect(load(dir, { certFile, keyFile })).rejects.toThrow(`certificates.keyFile: ${keyFile} n'est pas la clé du certificat ${certFile}`);
  });

  it('refuses a key other users may read', async () => {
    const dir = newDir();
    const { certFile, keyFile } = await writePair(dir);
    chmodSync(keyFile, 0o644);
    await expect(load(dir, { certFile, keyFile })).rejects.toThrow(`chmod 600 ${keyFile}`);
  });

  it('takes renewed files without a restart, and tells the listeners', async () => {
    const dir = newDir();
    const { certFile, keyFile, pair } = await writePair(dir);
    const { identity } = await load(dir, { certFile, keyFile });
    const changed = nextChange(identity);
    const renewed = await writePair(dir, { names: ['trebuchet.example.org'] });
    await changed;
    expect(identity.context()).toEqual({ key: renewed.pair.keyPem, cert: renewed.pair.certPem });
    expect(identity.context().cert).not.toBe(pair.certPem);
    expect(identity.names()).toEqual(['trebuchet.example.org']);
  });
});
