import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

// The real scrypt, watched: which calls a check makes is what tells a known user from an unknown one.
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  return { ...crypto, scrypt: vi.fn(crypto.scrypt) };
});
const { scrypt } = await import('node:crypto');
const { ensureUsers, readUsers, revokeAgent, setAgentPassword, verifyPassword } = await import('./credentials.js');
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

describe('agent enrolment and revocation', () => {
  const AGENT = 'agent.paris-11.comptoir';
  const wanted = [
    { username: 'ingest', role: 'ingest' as const },
    { username: AGENT, role: 'agent' as const, site: 'paris-11', agent: 'comptoir' },
  ];
  const newDataDir = () => mkdtempSync(join(tmpdir(), 'tb-revoke-'));

  it('keeps a revoked agent revoked across a start whose config still lists it', () => {
    const dataDir = newDataDir();
    const before = ensureUsers(dataDir, wanted).get(AGENT)!;
    const now = new Date('2026-12-01T09:00:00.000Z');
    expect(revokeAgent(dataDir, AGENT, now)).toEqual({ revoked: true });
    const after = ensureUsers(dataDir, wanted).get(AGENT)!;
    expect(after).toEqual({ ...before, revokedAt: now.toISOString() });
    expect(readUsers(dataDir)[AGENT]!.revokedAt).toBe(now.toISOString());
  });

  it('says when an agent was already revoked, and keeps the first date', () => {
    const dataDir = newDataDir();
    ensureUsers(dataDir, wanted);
    const first = new Date('2026-12-01T09:00:00.000Z');
    revokeAgent(dataDir, AGENT, first);
    expect(revokeAgent(dataDir, AGENT, new Date('2026-12-02T09:00:00.000Z'))).toEqual({ revoked: true, already: first.toISOString() });
    expect(readUsers(dataDir)[AGENT]!.revokedAt).toBe(first.toISOString());
  });

  it('refuses to revoke an unknown user or one that is not an agent, and changes nothing', () => {
    const dataDir = newDataDir();
    ensureUsers(dataDir, wanted);
    const before = readFileSync(join(dataDir, 'broker', 'users.json'), 'utf8');
    expect(revokeAgent(dataDir, 'agent.paris-11.nobody')).toEqual({ revoked: false });
    expect(revokeAgent(dataDir, 'ingest')).toEqual({ revoked: false });
    expect(readFileSync(join(dataDir, 'broker', 'users.json'), 'utf8')).toBe(before);
    expect(revokeAgent(newDataDir(), AGENT)).toEqual({ revoked: false });
  });

  it('un-revokes an agent with a new password: the old one no longer works', async () => {
    const dataDir = newDataDir();
    ensureUsers(dataDir, wanted);
    const oldPassword = readCredentials(join(dataDir, 'credentials.json'))!.mqtt[AGENT]!.password;
    revokeAgent(dataDir, AGENT);
    const newPassword = setAgentPassword(dataDir, 'paris-11', 'comptoir', AGENT);
    expect(newPassword).not.toBe(oldPassword);
    const user = readUsers(dataDir)[AGENT]!;
    expect(user).toMatchObject({ role: 'agent', site: 'paris-11', agent: 'comptoir' });
    expect(user.revokedAt).toBeUndefined();
    expect(await verifyPassword(user, newPassword)).toBe(true);
    expect(await verifyPassword(user, oldPassword)).toBe(false);
    // A later start keeps the enrolled password, and does not hand it to the local credentials file.
    expect(ensureUsers(dataDir, wanted).get(AGENT)!.hash).toBe(user.hash);
    expect(readFileSync(join(dataDir, 'credentials.json'), 'utf8')).not.toContain(newPassword);
  });

  it('makes an agent that did not exist, leaving the other users as they were', async () => {
    const dataDir = newDataDir();
    const ingest = ensureUsers(dataDir, [wanted[0]!]).get('ingest');
    const password = setAgentPassword(dataDir, 'lyon', 'quai', 'agent.lyon.quai');
    const users = readUsers(dataDir);
    expect(users['ingest']).toEqual(ingest);
    expect(await verifyPassword(users['agent.lyon.quai'], password)).toBe(true);
    expect(statSync(join(dataDir, 'broker', 'users.json')).mode & 0o777).toBe(0o600);
  });
});

describe('users of a broker config', () => {
  it('gives each ingest instance its own user, as Mosquitto binds client ids to usernames', async () => {
    const { configuredUsers } = await import('./credentials.js');
    const { brokerConfigSchema } = await import('./config.js');
    const { mosquittoAclFile } = await import('./mosquitto/acl-file.js');
    const config = brokerConfigSchema.parse({ ingestInstances: 3, agents: [{ site: 'lilas', agent: 'comptoir' }] });
    const wanted = configuredUsers(config);
    expect(wanted.filter((u) => u.role === 'ingest').map((u) => u.username)).toEqual(['ingest', 'ingest-2', 'ingest-3']);
    expect(configuredUsers(brokerConfigSchema.parse({})).filter((u) => u.role === 'ingest')).toHaveLength(1);
    expect(brokerConfigSchema.safeParse({ ingestInstances: 0 }).success).toBe(false);
    const dataDir = mkdtempSync(join(tmpdir(), 'tb-ingest-users-'));
    const users = ensureUsers(dataDir, wanted);
    const acl = mosquittoAclFile([...users]);
    // Every instance may read what ingest reads and write receipts, each under its own name.
    const block = (name: string) => acl.split('\n\n').find((b) => b.startsWith(`user ${name}\n`))!.replace(`user ${name}\n`, '');
    expect(block('ingest-3')).toBe(block('ingest'));
    expect(block('ingest')).toContain('topic read tb/v1/+/+/+/weighing');
  });
});
