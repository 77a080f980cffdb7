import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

// The real scrypt, watched: which calls a check makes is what tells a known user from an unknown one.
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  return { ...crypto, scrypt: vi.fn(crypto.scrypt) };
});
const { scrypt } = await import('node:crypto');
const { ensureUsers, verifyPassword } = await import('./credentials.js');
const { readCredentials } = await import('../runtime/credentials-file.js');
const { mosquittoPasswordHash } = await import('./mosquitto/password-hash.js');

describe('broker passwords', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tb-credentials-'));
  const users = ensureUsers(dataDir, [{ username: 'ingest', role: 'ingest' }]);
  const password = readCredentials(join(dataDir, 'credentials.json'))!.mqtt['ingest']!.password;

  it('checks the right password, and refuses a wrong one', async () => {
    expect(await verifyPassword(users.get('ingest'), password)).toBe(true);
    expect(await verifyPassword(users.get('ingest'), `${password}x`)).toBe(false);
  });

  it("stores Mosquitto's hash of the same password beside the scrypt one", () => {
    const stored = users.get('ingest')!.mosquitto!;
    expect(mosquittoPasswordHash(password, Buffer.from(stored.split('$')[3]!, 'base64'))).toBe(stored);
  });

  it('hashes off the event loop: work queued before a check runs before its answer', async () => {
    let ran = false;
    setImmediate(() => (ran = true));
    await verifyPassword(users.get('ingest'), 'guess');
    expect(ran).toBe(true);
  });

  it('costs an unknown user the same scrypt as a known one', async () => {
    const calls = vi.mocked(scrypt).mock.calls;
    calls.length = 0;
    expect(await verifyPassword(users.get('ingest'), 'guess')).toBe(false);
    expect(await verifyPassword(users.get('nobody'), 'guess')).toBe(false);
    expect(calls).toHaveLength(2);
    const [known, unknown] = calls.map(([pw, salt, keylen, options]) => ({ pw, saltBytes: (salt as Buffer).length, keylen, options: typeof options === 'function' ? undefined : options }));
    expect(unknown).toEqual(known);
  });
});
