import type { X509Certificate } from 'node:crypto';

/** A certificate's SHA-256 (of its DER) in lower-case hex: what an enrolment code pins. */
export function certificateSha256(cert: Pick<X509Certificate, 'fingerprint256'>): string {
  return cert.fingerprint256.replace(/:/g, '').toLowerCase();
}
