import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync, unwatchFile, watchFile } from 'node:fs';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import type { SecureContextOptions } from 'node:tls';
import type { Logger } from '../../runtime/log.js';
import { writePrivateFile } from '../../runtime/credentials-file.js';
import type { BrokerConfig } from '../config.js';
import { certificateSha256 } from '../../runtime/certificate-fingerprint.js';
import { certificateNames, createCertificateAuthority, issueServerCertificate, type PemPair } from './certificate-authority.js';
import { generatedTlsPaths, serverTlsFiles } from './paths.js';

const CA_VALIDITY_DAYS = 20 * 365;
const SERVER_VALIDITY_DAYS = 365;
/** A generated server certificate is renewed this long before its end, checked at start and twice a day. */
const RENEW_BEFORE_DAYS = 30;
const RENEW_CHECK_MS = 12 * 3_600_000;
/** How often an operator's files are looked at for a renewal (certbot replaces them every two months or so). */
const OPERATOR_FILES_POLL_MS = 1000;
const OPERATOR_FILES_SETTLE_MS = 500;
const DAY_MS = 86_400_000;

/** What the broker's TLS and HTTPS listeners serve, kept current across renewals. */
export interface ServerIdentity {
  /** The key and certificate chain to serve now. */
  context(): SecureContextOptions;
  /** The CA agents pin (PEM), or undefined for an operator's certificate from a public CA. */
  caPem: string | undefined;
  /** SHA-256 of the pinned CA, in hex: an enrolment code carries its first digits. */
  caSha256: string | undefined;
  /** The names the served certificate is valid for. */
  names(): string[];
  /** Called after the served certificate changed (renewed, or the operator's files replaced). */
  onChange(listener: () => void): void;
  /** Issues a new server certificate now (generated mode): what the renewal timer does near the end. */
  renew(): Promise<void>;
  close(): void;
}

export class TlsFileError extends Error {}

/** This machine's names and addresses: what a Pi on the shop's network or the VPN may use to reach it. */
export function defaultServerNames(): string[] {
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && !a.internal && !a.address.startsWith('fe80:'))
    .map((a) => a!.address);
  return [...new Set([hostname(), 'localhost', '127.0.0.1', '::1', ...addresses])];
}

/** IPv6 addresses have several spellings (a certificate shows `0:0:…:1` for `::1`). */
function canonicalName(name: string): string {
  if (isIP(name) === 6) return new URL(`http://[${name}]/`).hostname;
  return name.toLowerCase();
}

function readPrivateKeyFile(path: string): string {
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) {
    throw new TlsFileError(`${path} est lisible par d'autres utilisateurs (mode ${mode.toString(8)}) : chmod 600 ${path} / ${path} is readable by other users (mode ${mode.toString(8)}): chmod 600 ${path}`);
  }
  return readFileSync(path, 'utf8');
}

/** Parses a PEM chain and refuses one that would break every client: expired, not yet valid, or not matching its key. */
function checkServerPair(certFile: string, certPem: string, keyPem: string, now = new Date()): X509Certificate {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certPem);
  } catch (err) {
    throw new TlsFileError(`${certFile}: not a PEM certificate (${(err as Error).message})`);
  }
  const end = new Date(leaf.validTo);
  if (end <= now) throw new TlsFileError(`${certFile}: le certificat a expiré le ${end.toISOString()} / the certificate expired on ${end.toISOString()}; renew it (certbot renew) or remove certFile/keyFile to let the broker generate its own`);
  if (new Date(leaf.validFrom) > now) throw new TlsFileError(`${certFile}: the certificate is not valid before ${new Date(leaf.validFrom).toISOString()}; check this machine's clock`);
  if (!leaf.checkPrivateKey(createPrivateKey(keyPem))) {
    throw new TlsFileError(`${certFile}: the key file does not belong to this certificate`);
  }
  return leaf;
}

async function loadOrCreateCa(paths: ReturnType<typeof generatedTlsPaths>, log: Logger): Promise<PemPair> {
  if (existsSync(paths.caCert) && existsSync(paths.caKey)) {
    return { certPem: readFileSync(paths.caCert, 'utf8'), keyPem: readPrivateKeyFile(paths.caKey) };
  }
  const ca = await createCertificateAuthority(`Trébuchet CA ${hostname()}`, CA_VALIDITY_DAYS);
  writePrivateFile(paths.caKey, ca.keyPem);
  // Not a secret: agents get it at enrolment, and Mosquitto (another user) may need to read it.
  writePrivateFile(paths.caCert, ca.certPem);
  log.info({ caFile: paths.caCert, sha256: certificateSha256(new X509Certificate(ca.certPem)) }, 'TLS: generated a certificate authority for this broker (agents pin it at enrolment)');
  return ca;
}

/** The served certificate must be renewed: near its end, or no longer covering the wanted names. */
function needsNewCertificate(cert: X509Certificate, wanted: string[], now: Date): string | undefined {
  if (new Date(cert.validTo).getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY_MS) return `it ends on ${cert.validTo}`;
  const has = new Set(certificateNames(cert).map(canonicalName));
  const missing = wanted.filter((n) => !has.has(canonicalName(n)));
  return missing.length ? `it does not cover ${missing.join(', ')}` : undefined;
}

export async function loadServerIdentity(config: Pick<BrokerConfig, 'dataDir' | 'certificates'>, log: Logger): Promise<ServerIdentity> {
  const files = serverTlsFiles(config);
  const listeners: (() => void)[] = [];
  let current: { key: string; cert: string; leaf: X509Certificate };
  const changed = () => listeners.forEach((l) => l());

  if (files.generated) {
    const paths = generatedTlsPaths(config.dataDir);
    const ca = await loadOrCreateCa(paths, log);
    const wanted = config.certificates.names ?? defaultServerNames();
    const issue = async (why: string) => {
      const pair = await issueServerCertificate(ca, { names: wanted, validityDays: SERVER_VALIDITY_DAYS });
      writePrivateFile(paths.serverKey, pair.keyPem);
      writePrivateFile(paths.serverCert, pair.certPem);
      current = { key: pair.keyPem, cert: pair.certPem, leaf: new X509Certificate(pair.certPem) };
      log.info({ certFile: paths.serverCert, names: wanted, validTo: current.leaf.validTo, why }, 'TLS: issued a server certificate');
    };
    if (existsSync(paths.serverCert) && existsSync(paths.serverKey)) {
      const cert = readFileSync(paths.serverCert, 'utf8');
      current = { key: readPrivateKeyFile(paths.serverKey), cert, leaf: new X509Certificate(cert) };
      const why = needsNewCertificate(current.leaf, wanted, new Date());
      if (why) await issue(why);
    } else {
      await issue('first start');
    }
    const renewIfDue = () => {
      const why = needsNewCertificate(current.leaf, wanted, new Date());
      if (why) issue(why).then(changed, (err: Error) => log.error({ err: err.message }, 'TLS: could not renew the server certificate'));
    };
    const timer = setInterval(renewIfDue, RENEW_CHECK_MS);
    timer.unref();
    const caLeaf = new X509Certificate(ca.certPem);
    return {
      context: () => ({ key: current.key, cert: current.cert }),
      caPem: ca.certPem,
      caSha256: certificateSha256(caLeaf),
      names: () => certificateNames(current.leaf),
      onChange: (l) => listeners.push(l),
      renew: async () => {
        await issue('renewal asked');
        changed();
      },
      close: () => clearInterval(timer),
    };
  }

  // The operator's files: read again whenever they change (a renewal by certbot), kept as they were if the new ones are bad.
  const read = () => {
    const key = readPrivateKeyFile(files.keyFile);
    const cert = readFileSync(files.certFile, 'utf8');
    const leaf = checkServerPair(files.certFile, cert, key);
    return { key, cert, leaf };
  };
  current = read();
  const caPem = files.caFile ? readFileSync(files.caFile, 'utf8') : undefined;
  const reload = () => {
    try {
      current = read();
      log.info({ certFile: files.certFile, validTo: current.leaf.validTo }, 'TLS: certificate files changed on disk, now serving the new certificate');
      changed();
    } catch (err) {
      // Half-written by a renewal, or bad: keep serving the old ones and say so; the next change is read again.
      log.error({ err: (err as Error).message }, 'TLS: the changed certificate files cannot be used; still serving the previous certificate');
    }
  };
  // A renewal replaces both files one after the other: read them once both have settled.
  let settle: NodeJS.Timeout | undefined;
  const changedOnDisk = () => {
    clearTimeout(settle);
    settle = setTimeout(reload, OPERATOR_FILES_SETTLE_MS);
  };
  for (const f of [files.certFile, files.keyFile]) watchFile(f, { interval: OPERATOR_FILES_POLL_MS, persistent: false }, changedOnDisk);
  return {
    context: () => ({ key: current.key, cert: current.cert }),
    caPem,
    caSha256: caPem ? certificateSha256(new X509Certificate(caPem)) : undefined,
    names: () => certificateNames(current.leaf),
    onChange: (l) => listeners.push(l),
    renew: async () => reload(),
    close: () => {
      clearTimeout(settle);
      for (const f of [files.certFile, files.keyFile]) unwatchFile(f, changedOnDisk);
    },
  };
}
