import { describe, expect, it } from 'vitest';
import { deriveScrypt, scryptDecoy, verifyScrypt } from './scrypt-hash.js';

describe('scrypt password checks', () => {
  const params = { N: 1024, r: 8, p: 1 };
  const decoy = scryptDecoy(params, 16, 32);

  it('takes the right password, refuses a wrong one and any password of a user nobody has', async () => {
    const salt = Buffer.alloc(16, 7);
    const stored = { params, salt, hash: await deriveScrypt('le bon mot de passe', salt, params, 32) };
    expect(await verifyScrypt(stored, decoy, 'le bon mot de passe')).toBe(true);
    expect(await verifyScrypt(stored, decoy, 'un autre')).toBe(false);
    expect(await verifyScrypt(undefined, decoy, 'le bon mot de passe')).toBe(false);
  });

  it('refuses every password against a tampered, empty hash', async () => {
    expect(await verifyScrypt({ params, salt: Buffer.alloc(16), hash: Buffer.alloc(0) }, decoy, '')).toBe(false);
  });
});
