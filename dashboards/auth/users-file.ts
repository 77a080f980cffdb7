import { randomInt } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { describeIssues } from '../../protocol/index.js';
import { writePrivateFile } from '../../runtime/credentials-file.js';
import { hashPassword, passwordHashSchema } from './password.js';

/** Where `trebuchet up` keeps the dashboards' accounts with its default data folder, relative to where it runs. */
export const DEFAULT_USERS_FILE = 'data/dashboards/users.json';

export const ROLES = ['viewer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const userNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be 1 to 64 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit');

const userSchema = z
  .object({
    name: userNameSchema,
    role: z.enum(ROLES),
    hash: z.string().refine((h) => passwordHashSchema.safeParse(h).success, 'is not a scrypt$N$r$p$salt$hash password hash'),
    createdAt: z.iso.datetime(),
    /** Changes with the password: the sessions signed with another generation are void. */
    generation: z.number().int().min(0),
  })
  .strict();
export type User = z.infer<typeof userSchema>;

const usersFileSchema = z
  .object({ v: z.literal(1), users: z.array(userSchema) })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.users.forEach((u, i) => {
      if (seen.has(u.name)) ctx.addIssue({ code: 'custom', path: ['users', i, 'name'], message: `"${u.name}" is listed twice` });
      seen.add(u.name);
    });
  });

/** The users file cannot be read or is not valid: nobody can sign in until it is fixed. */
export class UsersFileError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
    this.name = 'UsersFileError';
  }
}

/** A change to the accounts that cannot be made: an existing or unknown name. */
export class UserChangeError extends Error {
  constructor(
    readonly code: 'exists' | 'unknown',
    readonly userName: string,
  ) {
    super(
      code === 'exists'
        ? `Le compte « ${userName} » existe déjà. / Account "${userName}" already exists.`
        : `Aucun compte « ${userName} ». / No account "${userName}".`,
    );
    this.name = 'UserChangeError';
  }
}

type Snapshot = { key: string; users: readonly User[] } | { key: string; error: UsersFileError };

/**
 * The dashboards' accounts in a 0600 JSON file, shared by the running server and the `trebuchet user`
 * command: the server re-reads it whenever it changed on disk, so an account added, changed or removed
 * from the command counts at once, without a restart.
 */
export class UsersFile {
  private snapshot: Snapshot | undefined;

  constructor(readonly path: string) {}

  /** The accounts as the file holds them now (none when it does not exist); throws UsersFileError when it is not valid. */
  list(): readonly User[] {
    const key = this.version();
    if (this.snapshot?.key !== key) this.snapshot = { key, ...this.read(key) };
    if ('error' in this.snapshot) throw this.snapshot.error;
    return this.snapshot.users;
  }

  find(name: string): User | undefined {
    return this.list().find((u) => u.name === name);
  }

  async add(name: string, role: Role, password: string): Promise<User> {
    const user: User = {
      name: userNameSchema.parse(name),
      role,
      hash: await hashPassword(password),
      createdAt: new Date().toISOString(),
      // Random, so that a name removed and created again never revives the old account's sessions.
      generation: randomInt(2 ** 40),
    };
    this.change((users) => {
      if (users.some((u) => u.name === name)) throw new UserChangeError('exists', name);
      return [...users, user];
    });
    return user;
  }

  async setPassword(name: string, password: string): Promise<User> {
    const hash = await hashPassword(password);
    return this.replace(name, (u) => ({ ...u, hash, generation: u.generation + 1 }));
  }

  remove(name: string): User {
    let removed: User | undefined;
    this.change((users) => {
      removed = users.find((u) => u.name === name);
      if (!removed) throw new UserChangeError('unknown', name);
      return users.filter((u) => u !== removed);
    });
    return removed!;
  }

  private replace(name: string, update: (u: User) => User): User {
    let updated: User | undefined;
    this.change((users) =>
      users.map((u) => {
        if (u.name !== name) return u;
        updated = update(u);
        return updated;
      }),
    );
    if (!updated) throw new UserChangeError('unknown', name);
    return updated;
  }

  /**
   * Reads, changes and writes the file in one synchronous step, so that two changes made by this process
   * cannot interleave. A file that is not valid is never overwritten: it may be a hand edit to fix.
   */
  private change(apply: (users: readonly User[]) => readonly User[]): void {
    const users = apply(this.list());
    writePrivateFile(this.path, `${JSON.stringify({ v: 1, users }, null, 2)}\n`);
  }

  /** Changes whenever the file is replaced or written, even twice within the same millisecond with the same size. */
  private version(): string {
    const st = statSync(this.path, { bigint: true, throwIfNoEntry: false });
    return st ? `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}` : 'missing';
  }

  private read(key: string): { users: readonly User[] } | { error: UsersFileError } {
    if (key === 'missing') return { users: [] };
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (err) {
      return { error: new UsersFileError(this.path, `cannot be read as JSON (${(err as Error).message}); fix or remove it: nobody can sign in until then`) };
    }
    const parsed = usersFileSchema.safeParse(json);
    if (!parsed.success) {
      return { error: new UsersFileError(this.path, `not a valid users file: ${describeIssues(parsed.error)}; fix or remove it: nobody can sign in until then`) };
    }
    return { users: parsed.data.users };
  }
}
