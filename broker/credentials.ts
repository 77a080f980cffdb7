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
  /** When the agent was revoked: it stays listed, no broker lets it in, and a start never makes it again. */
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

export function readUsers(dataDir: string): Record<string, BrokerUser> {
  return readJsonFile(credentialsPaths(dataDir).users, usersFileSchema)?.users ?? {};
}

function writeUsers(dataDir: string, users: Record<string, BrokerUser>): void {
  writePrivateFile(credentialsPaths(dataDir).users, `${JSON.stringify({ users }, null, 2)}\n`);
}

function newUser(role: Role, password: string, place: { site?: string; agent?: string } = {}): BrokerUser {
  const salt = randomBytes(SALT_BYTES).toString('base64');
  return { role, salt, hash: hashPassword(password, salt), mosquitto: mosquittoPasswordHash(password), site: place.site, agent: place.agent };
}

const newPassword = () => randomBytes(18).toString('base64url');

/**
 * Gives an agent a new password (enrolment, on the server): made if it did not exist, un-revoked if it was.
 * Only its hash is kept here; the password goes to the Pi alone. A running broker picks the change up
 * (users-watch.ts) and cuts a connection still using the old one.
 */
export function setAgentPassword(dataDir: string, site: string, agent: string, username: string): string {
  const users = readUsers(dataDir);
  const password = newPassword();
  users[username] = newUser('agent', password, { site, agent });
  writeUsers(dataDir, users);
  return password;
}

/** Revokes an agent: its connection is cut by a running broker and every further login refused. False if unknown. */
export function revokeAgent(dataDir: string, username: string, now = new Date()): { revoked: boolean; already?: string } {
  const users = readUsers(dataDir);
  const user = users[username];
  if (!user || user.role !== 'agent') return { revoked: false };
  if (user.revokedAt) return { revoked: true, already: user.revokedAt };
  users[username] = { ...user, revokedAt: now.toISOString() };
  writeUsers(dataDir, users);
  return { revoked: true };
}

type WantedUser = { username: string; role: Role; site?: string; agent?: string };

/** The name of the n-th ingest instance's user (1-based): `ingest`, then `ingest-2`… */
export const ingestUsername = (n: number): string => (n === 1 ? 'ingest' : `ingest-${n}`);

/** The users a broker config implies, whichever broker serves them: the components, and each configured agent. */
export function configuredUsers(config: Pick<BrokerConfig, 'agents'> & { ingestInstances?: number }): WantedUser[] {
  return [
    ...Array.from({ length: config.ingestInstances ?? 1 }, (_, i) => ({ username: ingestUsername(i + 1), role: 'ingest' as const })),
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
  const users = readUsers(dataDir);
  const creds = readCredentials(paths.credentials) ?? { mqtt: {} };
  let changed = false;
  for (const w of wanted) {
    // A revoked agent stays revoked, even when a config still lists it: only `agent enroll` brings it back.
    if (users[w.username]) continue;
    const password = newPassword();
    users[w.username] = newUser(w.role, password, w);
    creds.mqtt[w.username] = { username: w.username, password };
    changed = true;
  }
  if (changed) {
    writeUsers(dataDir, users);
    writePrivateFile(paths.credentials, `${JSON.stringify(creds, null, 2)}\n`);
  }
  return new Map(Object.entries(users));
}
