import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashPassword } from './password.js';
import { UserChangeError, UsersFile, UsersFileError } from './users-file.js';

describe('the dashboards users file', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tb-users-'));
    path = join(dir, 'dashboards', 'users.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('has no account when the file does not exist', () => {
    expect(new UsersFile(path).list()).toEqual([]);
  });

  it('writes accounts to a 0600 file in a 0700 folder, and another reader sees each change at once', async () => {
    const writer = new UsersFile(path);
    const reader = new UsersFile(path);
    expect(reader.list()).toEqual([]);
    const added = await writer.add('marie', 'admin', 'un mot de passe long');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'dashboards')).mode & 0o777).toBe(0o700);
    expect(reader.find('marie')).toEqual(added);
    expect(added.hash).toMatch(/^scrypt\$/);

    const changed = await writer.setPassword('marie', 'un autre mot de passe');
    expect(changed.generation).toBe(added.generation + 1);
    expect(reader.find('marie')?.hash).toBe(changed.hash);

    await writer.add('paul', 'viewer', 'encore un mot de passe');
    writer.remove('marie');
    expect(reader.list().map((u) => u.name)).toEqual(['paul']);
  });

  it('refuses an existing name, an unknown name, and a name that is not slug-like', async () => {
    const users = new UsersFile(path);
    await users.add('marie', 'viewer', 'un mot de passe long');
    await expect(users.add('marie', 'admin', 'un mot de passe long')).rejects.toThrow(UserChangeError);
    await expect(users.setPassword('nobody', 'un mot de passe long')).rejects.toThrow(/No account "nobody"/);
    expect(() => users.remove('nobody')).toThrow(UserChangeError);
    await expect(users.add('Marie Curie', 'viewer', 'un mot de passe long')).rejects.toThrow(/lower-case/);
  });

  it('gives a name created again a new generation, so the old sessions stay void', async () => {
    const users = new UsersFile(path);
    const first = await users.add('marie', 'viewer', 'un mot de passe long');
    users.remove('marie');
    const again = await users.add('marie', 'viewer', 'un mot de passe long');
    expect(again.generation).not.toBe(first.generation);
  });

  it('names the file and the problem when it is not valid, lets nobody in, and never overwrites it', async () => {
    const hash = await hashPassword('un mot de passe long');
    const user = { name: 'marie', role: 'admin', hash, createdAt: new Date().toISOString(), generation: 0 };
    const cases: [string, RegExp][] = [
      ['{ "v": 1, "users": [', /cannot be read as JSON/],
      [JSON.stringify({ v: 2, users: [] }), /v: /],
      [JSON.stringify({ v: 1, users: [{ ...user, role: 'root' }] }), /users\.0\.role/],
      [JSON.stringify({ v: 1, users: [{ ...user, hash: 'plain-text' }] }), /users\.0\.hash: is not a scrypt/],
      [JSON.stringify({ v: 1, users: [user, user] }), /"marie" is listed twice/],
      [JSON.stringify({ v: 1, users: [{ ...user, password: 'x' }] }), /password/],
    ];
    const file = join(dir, 'users.json');
    for (const [content, problem] of cases) {
      writeFileSync(file, content);
      const users = new UsersFile(file);
      let error: unknown;
      try {
        users.list();
      } catch (err) {
        error = err;
      }
      expect(error, content).toBeInstanceOf(UsersFileError);
      expect((error as Error).message.startsWith(`${file}: `), (error as Error).message).toBe(true);
      expect((error as Error).message).toMatch(problem);
      expect((error as Error).message).toContain('nobody can sign in');
      await expect(users.add('paul', 'admin', 'un mot de passe long')).rejects.toThrow(UsersFileError);
      expect(() => users.remove('marie')).toThrow(UsersFileError);
      expect(readFileSync(file, 'utf8')).toBe(content);
    }
  });
});
