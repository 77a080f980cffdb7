import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt's cost parameters, as kept with each stored hash so that they can be raised later without a reset. */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export interface ScryptHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

/** scrypt on libuv's thread pool: a check must not stop the event loop (in `trebuchet up` it is every part's). */
export function deriveScrypt(password: string, salt: Buffer, { N, r, p }: ScryptParams, keyBytes: number): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; Node refuses anything above maxmem (32 MiB by default, just too little for N=2^15).
  const options: ScryptOptions = { N, r, p, maxmem: 2 * 128 * N * r * p };
  // NFC: an « é » typed on one keyboard as one character and on another as e + accent is the same password.
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, keyBytes, options, (err, key) => (err ? reject(err) : resolve(key))));
}

/** Stands in for the hash of a name nobody has, at the cost of a real one with these parameters. */
export function scryptDecoy(params: ScryptParams, saltBytes: number, keyBytes: number): ScryptHash {
  return { params, salt: randomBytes(saltBytes), hash: randomBytes(keyBytes) };
}

/**
 * Checks a password against a stored hash, or against the decoy when there is no such user: the answer takes
 * the same time either way, so timing does not tell which names exist. The key is the decoy's length, never
 * the stored one's: a tampered file with an empty hash must not match an empty key.
 */
export async function verifyScrypt(stored: ScryptHash | undefined, decoy: ScryptHash, password: string): Promise<boolean> {
  const { params, salt, hash } = stored ?? decoy;
  const candidate = await deriveScrypt(password, salt, params, decoy.hash.length);
  return candidate.length === hash.length && timingSafeEqual(candidate, hash) && stored !== undefined;
}
