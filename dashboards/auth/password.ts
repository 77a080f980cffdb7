import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { z } from 'zod';

/** scrypt's cost parameters, as kept in each stored hash so that they can be raised later without a reset. */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

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

function derive(password: string, salt: Buffer, { N, r, p }: ScryptParams): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; Node refuses anything above maxmem (32 MiB by default, just too little for N=2^15).
  const options: ScryptOptions = { N, r, p, maxmem: 2 * 128 * N * r * p };
  // NFC: an « é » typed on one keyboard as one character and on another as e + accent is the same password.
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** Stands in for the hash of a name nobody has, so that a wrong name costs as much as a wrong password. */
const decoy = { params: DEFAULT_PARAMS, salt: randomBytes(SALT_BYTES), hash: randomBytes(KEY_BYTES) };

/**
 * Checks a password against a stored hash, or against a decoy when there is no such user: the answer takes
 * the same time either way, so timing does not tell which names exist.
 */
export async function verifyPassword(stored: PasswordHash | undefined, password: string): Promise<boolean> {
  const { params, salt, hash } = stored ?? decoy;
  const candidate = await derive(password, salt, params);
  return timingSafeEqual(candidate, hash) && stored !== undefined;
}
