import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { deriveScrypt, scryptDecoy, verifyScrypt, type ScryptParams } from '../../runtime/scrypt-hash.js';

export type { ScryptParams };

/** N=2^15, r=8: 32 MiB and about 0.1 s per hash on a small server, the cost OWASP names for scrypt. */
export const DEFAULT_PARAMS: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;

/** What a manager may choose as a password: long enough to resist guessing, short enough to hash quickly. */
export const MIN_PASSWORD_LENGTH = 10;
export const newPasswordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `too short: at least ${MIN_PASSWORD_LENGTH} characters / trop court : ${MIN_PASSWORD_LENGTH} caractères au moins`)
  .max(1024);

const base64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/);

/**
 * A stored hash, `scrypt$N$r$p$salt$hash` (salt and hash in base64). The bounds keep a tampered file from
 * making every login cost gigabytes.
 */
export const passwordHashSchema = z
  .string()
  .transform((s) => s.split('$'))
  .pipe(
    z.tuple([
      z.literal('scrypt'),
      z.coerce.number<string>().int().min(2 ** 10).max(2 ** 20).refine((n) => (n & (n - 1)) === 0, 'N must be a power of two'),
      z.coerce.number<string>().int().min(1).max(32),
      z.coerce.number<string>().int().min(1).max(16),
      base64,
      base64,
    ]),
  )
  .transform(([, N, r, p, salt, hash]) => ({ params: { N, r, p }, salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') }))
  .refine((h) => h.salt.length >= SALT_BYTES && h.hash.length === KEY_BYTES, `salt of at least ${SALT_BYTES} bytes and a ${KEY_BYTES}-byte hash`);
export type PasswordHash = z.infer<typeof passwordHashSchema>;

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await deriveScrypt(password, salt, params, KEY_BYTES);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** Stands in for the hash of a name nobody has, so that a wrong name costs as much as a wrong password. */
const decoy = scryptDecoy(DEFAULT_PARAMS, SALT_BYTES, KEY_BYTES);

/** Checks a password against a stored hash, or the decoy when there is no such user (same time either way). */
export function verifyPassword(stored: PasswordHash | undefined, password: string): Promise<boolean> {
  return verifyScrypt(stored, decoy, password);
}
