import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import type { SecureContextOptions } from 'node:tls';
import type { Logger } from '../../runtime/log.js';
import { readCertificatePair, watchCertificatePair, type CertificatePair } from '../../runtime/certificate-files.js';
import { refuseIfReadableByOthers, writePrivateFile } from '../../runtime/credentials-file.js';
import type { BrokerConfig } from '../config.js';
import { certificateSha256 } from '../../runtime/certificate-fingerprint.js';
import { certificateNames, createCertificateAuthority, issueServerCertificate, type PemPair } from './certificate-authority.js';
import { generatedTlsPaths, serverTlsFiles } from './paths.js';

const CA_VALIDITY_DAYS = 20 * 365;
const SERVER_VALIDITY_DAYS = 365;
/** A generated server certificate is renewed this long before its end, checked at start and twice a day. */
const RENEW_BEFORE_DAYS = 30;
const RENEW_CHECK_MS = 12 * 3_600_000;
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
  refuseIfReadableByOthers(path);
  return readFileSync(path, 'utf8');
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

/**
 * The served certificate must be renewed: not signed by the CA agents pin (made anew after its files were
 * removed), near its end, or no longer covering the wanted names.
 */
function needsNewCertificate(cert: X509Certificate, ca: X509Certificate, wanted: string[], now: Date): string | undefined {
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return 'it is not signed by the current CA';
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
    const caLeaf = new X509Certificate(ca.certPem);
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
      const why = needsNewCertificate(current.leaf, caLeaf, wanted, new Date());
      if (why) await issue(why);
    } else {
      await issue('first start');
    }
    const renewIfDue = () => {
      const why = needsNewCertificate(current.leaf, caLeaf, wanted, new Date());
      if (why) issue(why).then(changed, (err: Error) => log.error({ err: err.message }, 'TLS: could not renew the server certificate'));
    };
    const timer = setInterval(renewIfDue, RENEW_CHECK_MS);
    timer.unref();
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
  const operatorFiles = { certFile: files.certFile, keyFile: files.keyFile, configKey: 'certificates' };
  const served = (pair: CertificatePair) => ({ key: pair.key.toString(), cert: pair.cert.toString(), leaf: new X509Certificate(pair.cert) });
  current = served(readCertificatePair(operatorFiles));
  const caPem = files.caFile ? readFileSync(files.caFile, 'utf8') : undefined;
  const stopWatching = watchCertificatePair(
    operatorFiles,
    (pair) => {
      current = served(pair);
      changed();
    },
    log,
  );
  return {
    context: () => ({ key: current.key, cert: current.cert }),
    caPem,
    caSha256: caPem ? certificateSha256(new X509Certificate(caPem)) : undefined,
    names: () => certificateNames(current.leaf),
    onChange: (l) => listeners.push(l),
    renew: async () => {
      current = served(readCertificatePair(operatorFiles));
      changed();
    },
    close: stopWatching,
  };
}
