import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readCredentials, writePrivateFile } from '../../runtime/credentials-file.js';
import { writeFileAtomic, PRIVATE_DIR } from '../../runtime/durable-file.js';
import type { BrokerConfig } from '../config.js';
import { configuredUsers, credentialsPaths, ensureUsers, verifyPassword, type BrokerUser } from '../credentials.js';
import { serverTlsFiles, type ServerTlsFiles } from '../tls/paths.js';
import { mosquittoAclFile } from './acl-file.js';
import { mosquittoConf } from './conf-file.js';
import { mosquittoPasswordHash } from './password-hash.js';

export interface MosquittoConfigResult {
  files: { dir: string; conf: string; passwd: string; acl: string };
  /** Users in passwd and acl. */
  written: string[];
  /** Users without a Mosquitto hash nor a password in credentials.json: Mosquitto refuses them until fixed. */
  lacking: { username: string; role: BrokerUser['role'] }[];
  revoked: string[];
  tls: ServerTlsFiles;
  /** TLS files the listeners name that do not exist (yet): Mosquitto would not start. */
  missingTlsFiles: string[];
}

/**
 * Mosquitto's hash of a user's password: the one stored at creation, or, for a user made before that was stored,
 * from its password in credentials.json (the components' and configured agents') if it still matches.
 */
async function mosquittoHashOf(user: BrokerUser, password: string | undefined): Promise<string | undefined> {
  if (user.mosquitto) return user.mosquitto;
  if (password !== undefined && (await verifyPassword(user, password))) return mosquittoPasswordHash(password);
  return undefined;
}

/**
 * Writes DIR/mosquitto.conf, DIR/passwd and DIR/acl from the broker config and its users (created if missing,
 * as the embedded broker would at start), so both brokers share one set of users and one set of rules.
 * Revoked users are left out of both files. `extraGlobal`: lines for a test's Mosquitto (logs, persistence).
 */
export async function writeMosquittoConfig(config: BrokerConfig, outDir: string, extraGlobal: string[] = []): Promise<MosquittoConfigResult> {
  const dir = resolve(outDir);
  const files = { dir, conf: join(dir, 'mosquitto.conf'), passwd: join(dir, 'passwd'), acl: join(dir, 'acl') };
  const users = ensureUsers(config.dataDir, configuredUsers(config));
  const passwords = readCredentials(credentialsPaths(config.dataDir).credentials)?.mqtt ?? {};

  const written: [string, BrokerUser][] = [];
  const lines: string[] = [];
  const lacking: MosquittoConfigResult['lacking'] = [];
  const revoked: string[] = [];
  for (const [username, user] of [...users].sort(([a], [b]) => a.localeCompare(b))) {
    if (user.revokedAt) {
      revoked.push(username);
      continue;
    }
    const hash = await mosquittoHashOf(user, passwords[username]?.password);
    if (!hash) {
      lacking.push({ username, role: user.role });
      continue;
    }
    written.push([username, user]);
    lines.push(`${username}:${hash}\n`);
  }

  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  // An existing folder keeps its mode otherwise: the password file's hashes are nobody else's business.
  chmodSync(dir, PRIVATE_DIR);
  writePrivateFile(files.passwd, lines.join(''));
  writePrivateFile(files.acl, mosquittoAclFile(written));
  // Absolute: Mosquitto runs from another folder than the one dataDir is relative to.
  const given = serverTlsFiles(config);
  const tls = { ...given, certFile: resolve(given.certFile), keyFile: resolve(given.keyFile), ...(given.caFile ? { caFile: resolve(given.caFile) } : {}) };
  writeFileAtomic(files.conf, mosquittoConf(config, files, tls, extraGlobal), { mode: 0o644, dirMode: PRIVATE_DIR });
  const named = config.tls || config.https ? [tls.certFile, tls.keyFile, ...(tls.caFile ? [tls.caFile] : [])] : [];
  return { files, written: written.map(([u]) => u), lacking, revoked, tls, missingTlsFiles: named.filter((f) => !existsSync(f)) };
}
