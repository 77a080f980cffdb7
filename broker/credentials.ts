import { randomBytes, scryptSync } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { readCredentials, readJsonFile, writePrivateFile } from '../runtime/credentials-file.js';
import { scryptDecoy, verifyScrypt, type ScryptParams } from '../runtime/scrypt-hash.js';
import { agentUsername } from '../protocol/index.js';
import type { BrokerConfig } from './config.js';
import { mosquittoPasswordHash } from './mosquitto/password-hash.js';

/**
 * Broker users. Passwords are generated at first start (there is no default password anywhere),
 * stored hashed with scrypt for the broker, and handed to local clients in a 0600 credentials file.
 */
export type Role = 'agent' | 'ingest' | 'dashboards';

const userSchema = z.object({
  role: z.enum(['agent', 'ingest', 'dashboards']),
  salt: z.string(),
  hash: z.string(),
  site: z.string().optional(),
  agent: z.string().optional(),
  /** Mosquitto's hash of the same password (`trebuchet broker mosquitto-config`): made at creation, the only time it is in clear here. */
  mosquitto: z.string().optional(),
  /** When the agent was revoked: it stays listed, and no broker lets it in. */
  revokedAt: z.string().optional(),
});
const usersFileSchema = z.object({ users: z.record(z.string(), userSchema) });
export type BrokerUser = z.infer<typeof userSchema>;

/** Key of a client's entry in the credentials file: `ingest`, `dashboards` or `agent.{site}.{agent}`. */
export function credentialsPaths(dataDir: string) {
  return { users: join(dataDir, 'broker', 'users.json'), credentials: join(dataDir, 'credentials.json') };
}

const HASH_BYTES = 32;
const SALT_BYTES = 16;
/** Node's scryptSync defaults, which the stored hashes were made with. */
const PARAMS: ScryptParams = { N: 16_384, r: 8, p: 1 };

/** Only when users are created, at start: nothing else runs yet. */
function hashPassword(password: string, salt: string): string {
  return scryptSync(password, Buffer.from(salt, 'base64'), HASH_BYTES, PARAMS).toString('base64');
}

/** What an unknown username is checked against, so that it costs the same scrypt as a real one. */
const NOBODY = scryptDecoy(PARAMS, SALT_BYTES, HASH_BYTES);

/**
 * Checks a password on libuv's thread pool: each guess costs ~40 ms of scrypt, which must not stop the
 * event loop (in `trebuchet up` it is also the dashboards'). Unknown users go through the same hashing.
 */
export function verifyPassword(user: Pick<BrokerUser, 'salt' | 'hash'> | undefined, password: Buffer | string): Promise<boolean> {
  const stored = user && { params: PARAMS, salt: Buffer.from(user.salt, 'base64'), hash: Buffer.from(user.hash, 'base64') };
  return verifyScrypt(stored, NOBODY, password.toString());
}

type WantedUser = { username: string; role: Role; site?: string; agent?: string };

/** The users a broker config implies, whichever broker serves them: the components, and each configured agent. */
export function configuredUsers(config: Pick<BrokerConfig, 'agents'>): WantedUser[] {
  return [
    { username: 'ingest', role: 'ingest' },
    { username: 'dashboards', role: 'dashboards' },
    ...config.agents.map((a) => ({ username: agentUsername(a.site, a.agent), role: 'agent' as const, ...a })),
  ];
}

/**
 * Makes sure every wanted user exists, generating a password for each missing one; existing users keep
 * theirs, so a second start reuses everything. Returns the users for the broker's authenticator.
 */
export function ensureUsers(
  dataDir: string,
  wanted: WantedUser[],
): Map<string, BrokerUser> {
  const paths = credentialsPaths(dataDir);
  const users = readJsonFile(paths.users, usersFileSchema)?.users ?? {};
  const creds = readCredentials(paths.credentials) ?? { mqtt: {} };
  let changed = false;
  for (const w of wanted) {
    if (users[w.username]) continue;
    const password = randomBytes(18).toString('base64url');
    const salt = randomBytes(SALT_BYTES).toString('base64');
    users[w.username] = { role: w.role, salt, hash: hashPassword(password, salt), mosquitto: mosquittoPasswordHash(password), site: w.site, agent: w.agent };
    creds.mqtt[w.username] = { username: w.username, password };
    changed = true;
  }
  if (changed) {
    writePrivateFile(paths.users, `${JSON.stringify({ users }, null, 2)}\n`);
    writePrivateFile(paths.credentials, `${JSON.stringify(creds, null, 2)}\n`);
  }
  return new Map(Object.entries(users));
}
