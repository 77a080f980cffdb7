import { join } from 'node:path';
import type { BrokerConfig } from '../config.js';

/** Where the broker keeps the CA and server certificate it generates (generated mode). */
export function generatedTlsPaths(dataDir: string) {
  const dir = join(dataDir, 'broker', 'tls');
  return {
    dir,
    caCert: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca-key.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server-key.pem'),
  };
}

/** The files TLS listeners serve (any broker: ours, or Mosquitto configured from ours) and the CA agents pin, if any. */
export interface ServerTlsFiles {
  certFile: string;
  keyFile: string;
  /** Absent with an operator's certificate from a public CA: agents use their system's trust store. */
  caFile?: string;
  generated: boolean;
}

export function serverTlsFiles(config: Pick<BrokerConfig, 'dataDir' | 'certificates'>): ServerTlsFiles {
  const { certFile, keyFile, caFile } = config.certificates;
  if (certFile && keyFile) return { certFile, keyFile, caFile, generated: false };
  const p = generatedTlsPaths(config.dataDir);
  return { certFile: p.serverCert, keyFile: p.serverKey, caFile: p.caCert, generated: true };
}
