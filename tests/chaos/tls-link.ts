import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { createCertificateAuthority, issueServerCertificate, type PemPair } from '../../broker/tls/certificate-authority.js';
import { writePrivateFile } from '../../runtime/credentials-file.js';

/**
 * The agent↔broker link over TLS in the chaos runs: the transports, the operator's certificate files made
 * with the product's own generator (for Mosquitto, and for a renewal under load), and the serial a port serves.
 */

/** How the agent reaches the broker: plain MQTT, MQTT over TLS, or MQTT over WebSocket over TLS. */
export type Transport = 'tcp' | 'tls' | 'wss';

/** The names the server certificate covers: the agent connects to 127.0.0.1 (through the proxy). */
export const SERVER_NAMES = ['127.0.0.1', 'localhost'];

/** The first byte of a TLS record carrying a handshake (a ClientHello opens every TLS connection). */
export const TLS_HANDSHAKE_BYTE = 0x16;

export interface OperatorCertificates {
  certFile: string;
  keyFile: string;
  caFile: string;
  ca: PemPair;
}

/** A CA and a server certificate it signed, written as an operator would give them (`certificates: {certFile, keyFile, caFile}`). */
export async function writeOperatorCertificates(dir: string): Promise<OperatorCertificates> {
  const ca = await createCertificateAuthority('Trébuchet chaos CA', 30);
  const files = { certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server-key.pem'), caFile: join(dir, 'ca.pem') };
  writeFileSync(files.caFile, ca.certPem);
  await renewServerCertificate({ ...files, ca });
  return { ...files, ca };
}

/** Writes a new server certificate of the same CA over the operator's files, as certbot would; gives its serial. */
export async function renewServerCertificate(files: OperatorCertificates): Promise<string> {
  const pair = await issueServerCertificate(files.ca, { names: SERVER_NAMES, validityDays: 30 });
  // The key first: the broker takes the pair once both files are still, whichever it sees change first.
  writePrivateFile(files.keyFile, pair.keyPem);
  writePrivateFile(files.certFile, pair.certPem);
  return serialOf(new X509Certificate(pair.certPem).serialNumber);
}

/** One spelling of a serial: Node gives hex whose case and leading zeros depend on where it was read. */
const serialOf = (hex: string) => hex.toUpperCase().replace(/^0+(?=.)/, '');

/** The serial of the certificate a TLS port serves now, checked against the CA as the agent checks it. */
export function servedSerial(port: number, caFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: readFileSync(caFile), rejectUnauthorized: true, timeout: 5000 });
    socket.once('secureConnect', () => {
      const serial = serialOf(socket.getPeerCertificate().serialNumber);
      socket.destroy();
      resolve(serial);
    });
    socket.once('timeout', () => socket.destroy(new Error(`no TLS handshake on port ${port} within 5 s`)));
    socket.once('error', reject);
  });
}
