import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { refuseIfReadableByOthers } from './credentials-file.js';
import type { Logger } from './log.js';

/**
 * An operator's certificate (the dashboards', the broker's): PEM files, such as Let's Encrypt's fullchain.pem
 * and privkey.pem. `configKey` is where the config names them, for the messages.
 */
export interface CertificateFiles {
  certFile: string;
  keyFile: string;
  configKey: string;
}

export interface CertificatePair {
  cert: Buffer;
  key: Buffer;
  notAfter: Date;
}

/**
 * Stat polling rather than inotify: certbot renews by pointing the `live/` symlinks at new files, which a
 * watch on the old files never sees; a stat follows the link. Two stats a second cost nothing.
 */
const POLL_MS = 1_000;
/** A renewal writes the certificate and the key one after the other: both are read once they are still. */
const SETTLE_MS = 2 * POLL_MS;

function readPem(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${key}: impossible de lire ${path} / cannot read ${path}: ${(err as Error).message}`);
  }
}

/**
 * Reads the certificate (its chain may follow it in the same file) and its private key, and refuses what
 * would fail every browser later: a key other users may read, an expired certificate, a key that is not
 * the certificate's. Each message names the file and the fix.
 */
export function readCertificatePair({ certFile, keyFile, configKey }: CertificateFiles): CertificatePair {
  const cert = readPem(certFile, `${configKey}.certFile`);
  const key = readPem(keyFile, `${configKey}.keyFile`);
  refuseIfReadableByOthers(keyFile);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new Error(`${configKey}.certFile: ${certFile} n'est pas un certificat PEM / is not a PEM certificate (${(err as Error).message})`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new Error(`${configKey}.keyFile: ${keyFile} n'est pas une clé privée PEM / is not a PEM private key (${(err as Error).message})`);
  }
  const notAfter = new Date(leaf.validTo);
  if (notAfter.getTime() <= Date.now()) {
    const end = notAfter.toISOString();
    throw new Error(
      `${configKey}.certFile: le certificat ${certFile} a expiré le ${end} : renouvelez-le (certbot renew) / the certificate ${certFile} expired on ${end}: renew it (certbot renew)`,
    );
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new Error(
      `${configKey}.keyFile: ${keyFile} n'est pas la clé du certificat ${certFile} / is not the key of the certificate ${certFile}: give the key made with it (privkey.pem beside fullchain.pem)`,
    );
  }
  return { cert, key, notAfter };
}

/**
 * Calls `use` with the pair each time the files change and read well (a renewal), so that new connections
 * get the new certificate without a restart. A pair that does not read well is logged and the previous
 * one kept. Gives the function that stops watching.
 */
export function watchCertificatePair(files: CertificateFiles, use: (pair: CertificatePair) => void, log: Logger): () => void {
  let timer: NodeJS.Timeout | undefined;
  const reload = () => {
    try {
      const pair = readCertificatePair(files);
      use(pair);
      log.info({ certFile: files.certFile, notAfter: pair.notAfter.toISOString() }, 'certificate files changed on disk: new connections get the new certificate');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'the changed certificate files are not taken; the previous certificate is still served');
    }
  };
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(reload, SETTLE_MS);
  };
  const paths = [...new Set([files.certFile, files.keyFile])];
  for (const path of paths) watchFile(path, { interval: POLL_MS, persistent: false }, changed);
  return () => {
    clearTimeout(timer);
    for (const path of paths) unwatchFile(path, changed);
  };
}
