import { describe, expect, it } from 'vitest';
import { DEFAULT_PARAMS, hashPassword, passwordHashSchema, verifyPassword } from './password.js';

describe('dashboards passwords (scrypt)', () => {
  it('stores a self-describing scrypt$N$r$p$salt$hash string with a fresh salt each time', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toBe(b);
    const parsed = passwordHashSchema.parse(a);
    expect(parsed.params).toEqual(DEFAULT_PARAMS);
    expect(parsed.salt).toHaveLength(16);
    expect(parsed.hash).toHaveLength(32);
  });

  it('accepts the right password only', async () => {
    const stored = passwordHashSchema.parse(await hashPassword('correct horse battery'));
    expect(await verifyPassword(stored, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(stored, 'correct horse batterY')).toBe(false);
    expect(await verifyPassword(stored, '')).toBe(false);
    // An « é » composed or decomposed is the same password.
    const accented = passwordHashSchema.parse(await hashPassword('ressourcerie-\u00e9t\u00e9'));
    expect(await verifyPassword(accented, 'ressourcerie-e\u0301te\u0301')).toBe(true);
  });

  it('reads the parameters back from the stored string, so raised ones still verify', async () => {
    const light = await hashPassword('a password of old', { N: 2 ** 12, r: 8, p: 2 });
    expect(light.startsWith('scrypt$4096$8$2$')).toBe(true);
    const parsed = passwordHashSchema.parse(light);
    expect(parsed.params).toEqual({ N: 4096, r: 8, p: 2 });
    expect(await verifyPassword(parsed, 'a password of old')).toBe(true);
  });

  it('refuses a tampered hash, and any stored string that is not a sane scrypt hash', async () => {
    const stored = await hashPassword('correct horse battery');
    const parts = stored.split('$');
    const hash = Buffer.from(parts[5]!, 'base64');
    hash[0]! ^= 1;
    const tampered = passwordHashSchema.parse([...parts.slice(0, 5), hash.toString('base64')].join('$'));
    expect(await verifyPassword(tampered, 'correct horse battery')).toBe(false);
    const otherSalt = passwordHashSchema.parse([...parts.slice(0, 4), Buffer.alloc(16, 7).toString('base64'), parts[5]].join('$'));
    expect(await verifyPassword(otherSalt, 'correct horse battery')).toBe(false);

    for (const bad of [
      'bcrypt$10$x$y',
      stored.replace('scrypt$32768', 'scrypt$30000'), // not a power of two
      stored.replace('scrypt$32768', 'scrypt$2097152'), // 2 GiB per login
      stored.replace('$8$1$', '$8$99$'),
      [...parts.slice(0, 5), hash.subarray(0, 16).toString('base64')].join('$'),
      parts.slice(0, 5).join('$'),
    ]) {
      expect(passwordHashSchema.safeParse(bad).success, bad).toBe(false);
    }
  });

  it('spends one scrypt on an unknown user too, and says no', async () => {
    const stored = passwordHashSchema.parse(await hashPassword('correct horse battery'));
    const time = async (f: () => Promise<boolean>) => {
      const t0 = performance.now();
      expect(await f()).toBe(false);
      return performance.now() - t0;
    };
    await time(() => verifyPassword(stored, 'wrong password'));
    // A 32 MiB scrypt takes tens of milliseconds anywhere; a shortcut would take well under one.
    expect(await time(() => verifyPassword(undefined, 'wrong password'))).toBeGreaterThan(5);
  });
});
