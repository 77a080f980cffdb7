// @peculiar/x509 resolves its ASN.1 parsers through tsyringe, which needs this polyfill loaded first.
import 'reflect-metadata';
import { webcrypto, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

/**
 * The broker as its own certificate authority: a CA that enrolled agents pin, and server certificates it
 * signs for the names the agents use. ECDSA P-256: a TLS handshake costs a Pi Zero a fraction of RSA's.
 * Written with @peculiar/x509 because Node makes keys but not certificates.
 */
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
// Node's webcrypto is the WebCrypto the library wants; the build's lib (no DOM) has no name for that type.
x509.cryptoProvider.set(webcrypto as never);

export interface PemPair {
  certPem: string;
  keyPem: string;
}

const DAY_MS = 86_400_000;

async function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END PRIVATE KEY-----\n`;
}

async function importKey(pem: string): Promise<webcrypto.CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']);
}

/** A random positive serial: two certificates of one CA must never share one. */
function serial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

/** Backdated an hour: a Pi whose clock lags a little must not see the certificate as not yet valid. */
const validFrom = (now: Date) => new Date(now.getTime() - 3_600_000);

export async function createCertificateAuthority(commonName: string, validityDays: number, now = new Date()): Promise<PemPair> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: [{ CN: [commonName] }, { O: ['Trébuchet'] }],
    notBefore: validFrom(now),
    notAfter: new Date(now.getTime() + validityDays * DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}

export interface ServerCertificateRequest {
  names: string[];
  validityDays: number;
  now?: Date;
  /** For tests of refusals: an already expired certificate. */
  notAfter?: Date;
}

/** A server certificate for `names` (DNS names and IP addresses), signed by `ca`. Its PEM holds the CA after the leaf, so clients get the whole chain. */
export async function issueServerCertificate(ca: PemPair, request: ServerCertificateRequest): Promise<PemPair> {
  const now = request.now ?? new Date();
  const caCert = new x509.X509Certificate(ca.certPem);
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: [{ CN: [request.names[0]!] }],
    issuer: caCert.subject,
    notBefore: validFrom(now),
    notAfter: request.notAfter ?? new Date(now.getTime() + request.validityDays * DAY_MS),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: await importKey(ca.keyPem),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(request.names.map((value) => ({ type: isIP(value) ? ('ip' as const) : ('dns' as const), value }))),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: `${cert.toString('pem')}\n${ca.certPem.trim()}\n`, keyPem: await keyPem(keys.privateKey) };
}

/** The names and addresses a certificate is valid for (its subjectAltName); IPv6 addresses come back in full form (`0:0:…:1` for `::1`). */
export function certificateNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(', ')
    .map((entry) => entry.replace(/^(DNS|IP Address):/, ''))
    .filter(Boolean);
}
