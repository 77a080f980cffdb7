import { pbkdf2Sync, randomBytes } from 'node:crypto';

/**
 * Mosquitto 2.0's password file hash (`$7$`, what mosquitto_passwd writes): PBKDF2-HMAC-SHA512 over the password
 * with a 12-byte random salt, 101 iterations, 64 bytes, as `$7$101$<salt base64>$<hash base64>`. Stored beside
 * the broker's scrypt hash when a user is created, because an agent's password exists in clear only on its Pi.
 */
const ITERATIONS = 101;
const SALT_BYTES = 12;
const HASH_BYTES = 64;

/** `salt` is for tests checking against mosquitto_passwd's own output; a user's hash gets a random one. */
export function mosquittoPasswordHash(password: string, salt: Buffer = randomBytes(SALT_BYTES)): string {
  const hash = pbkdf2Sync(password, salt, ITERATIONS, HASH_BYTES, 'sha512');
  return `$7$${ITERATIONS}$${salt.toString('base64')}$${hash.toString('base64')}`;
}
