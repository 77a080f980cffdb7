import { Option, type Command } from 'commander';
import { read } from 'read';
import { dashboardsConfigSchema } from '../dashboards/config.js';
import { newPasswordSchema } from '../dashboards/auth/password.js';
import { DEFAULT_USERS_FILE, ROLES, UserChangeError, UsersFile, UsersFileError, userNameSchema, type Role } from '../dashboards/auth/users-file.js';
import { ConfigError, loadConfig } from '../runtime/config.js';
import { upConfigSchema, upUsersFile } from './up-config.js';

/** Bad input (a name, a role, a password, an account that exists or not) exits 2; a users file that cannot be used, 1. */
class UserCommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

function fail(err: unknown): never {
  if (err instanceof UserCommandError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(err.exitCode);
  }
  if (err instanceof UserChangeError || err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof UsersFileError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

interface FileOptions {
  config?: string;
  usersFile?: string;
}

/** The users file the servers use: `--users-file`, or the one a dashboards or up config names, or up's default. */
function usersFileOf(opts: FileOptions): string {
  if (opts.usersFile) return opts.usersFile;
  if (!opts.config) return DEFAULT_USERS_FILE;
  let asDashboards: ConfigError;
  try {
    return loadConfig(dashboardsConfigSchema, opts.config).usersFile;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    asDashboards = err;
  }
  try {
    return upUsersFile(loadConfig(upConfigSchema, opts.config));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // Neither: show the problems of the kind it is closer to.
    const closer = err.problems.length < asDashboards.problems.length ? err : asDashboards;
    throw new ConfigError(opts.config, ['neither a dashboards nor an up configuration', ...closer.problems]);
  }
}

function userName(name: string): string {
  const parsed = userNameSchema.safeParse(name);
  if (!parsed.success) throw new UserCommandError(`Nom de compte refusé / account name refused: "${name}" ${parsed.error.issues[0]?.message}`, 2);
  return parsed.data;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline is the end of the line (echo, a here-string), not part of the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** A new password: once from stdin with --password-stdin, else typed twice on the terminal without echo. */
async function newPassword(fromStdin: boolean | undefined): Promise<string> {
  let password: string;
  if (fromStdin) {
    password = await readStdin();
  } else {
    if (!process.stdin.isTTY) {
      throw new UserCommandError('Pas de terminal pour saisir le mot de passe : utilisez --password-stdin. / No terminal to type the password on: use --password-stdin.', 2);
    }
    const ask = async (prompt: string) => {
      const typed = await read({ prompt, silent: true, replace: '', output: process.stderr });
      // Without echo, Enter does not move to the next line either.
      process.stderr.write('\n');
      return typed;
    };
    password = await ask('Mot de passe / password: ');
    if ((await ask('Encore une fois / again: ')) !== password) {
      throw new UserCommandError('Les deux saisies diffèrent. / The two entries differ.', 2);
    }
  }
  const checked = newPasswordSchema.safeParse(password);
  if (!checked.success) throw new UserCommandError(`Mot de passe refusé / password refused: ${checked.error.issues[0]?.message}`, 2);
  return checked.data;
}

function fileOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', `a dashboards or up YAML config, to use its users file (without it: ${DEFAULT_USERS_FILE})`)
    .option('--users-file <path>', 'the users file itself');
}

/** `trebuchet user …`: the managers' accounts of the dashboards, in the file the running server reads. */
export function registerUser(program: Command): void {
  const user = program
    .command('user')
    .description("the dashboards' accounts: add one, change a password, remove one, list them")
    // Usage mistakes are bad input like the others: exit 2 (commander's own is 1); help stays 0.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

  fileOptions(user.command('add'))
    .description('create an account; its password is asked twice (or read once from stdin)')
    .argument('<name>', 'account name: lower-case letters, digits, ".", "_", "-"')
    .addOption(new Option('--role <role>', 'viewer sees the figures; admin also manages the accounts').choices(ROLES).makeOptionMandatory())
    .option('--password-stdin', 'read the password from stdin (scripts)')
    .action(async (name: string, opts: FileOptions & { role: Role; passwordStdin?: boolean }) => {
      try {
        const users = new UsersFile(usersFileOf(opts));
        const n = userName(name);
        if (users.find(n)) throw new UserChangeError('exists', n);
        await users.add(n, opts.role, await newPassword(opts.passwordStdin));
        process.stdout.write(`Compte « ${n} » créé (${opts.role}) dans ${users.path}. / Account "${n}" created (${opts.role}).\n`);
      } catch (err) {
        fail(err);
      }
    });

  fileOptions(user.command('passwd'))
    .description("change an account's password; its open sessions end at once")
    .argument('<name>', 'account name')
    .option('--password-stdin', 'read the password from stdin (scripts)')
    .action(async (name: string, opts: FileOptions & { passwordStdin?: boolean }) => {
      try {
        const users = new UsersFile(usersFileOf(opts));
        const n = userName(name);
        if (!users.find(n)) throw new UserChangeError('unknown', n);
        await users.setPassword(n, await newPassword(opts.passwordStdin));
        process.stdout.write(`Mot de passe de « ${n} » changé ; ses sessions sont fermées. / Password of "${n}" changed; their sessions are closed.\n`);
      } catch (err) {
        fail(err);
      }
    });

  fileOptions(user.command('remove'))
    .description('remove an account; its open sessions end at once')
    .argument('<name>', 'account name')
    .action((name: string, opts: FileOptions) => {
      try {
        new UsersFile(usersFileOf(opts)).remove(userName(name));
        process.stdout.write(`Compte « ${name} » supprimé ; ses sessions sont fermées. / Account "${name}" removed; their sessions are closed.\n`);
      } catch (err) {
        fail(err);
      }
    });

  fileOptions(user.command('list'))
    .description('list the accounts: name, role, created')
    .action((opts: FileOptions) => {
      try {
        const users = new UsersFile(usersFileOf(opts));
        const list = users.list();
        if (list.length === 0) {
          process.stdout.write(`Aucun compte dans ${users.path}. / No account yet.\n`);
          return;
        }
        const width = Math.max(...list.map((u) => u.name.length), 4);
        for (const u of list) process.stdout.write(`${u.name.padEnd(width)}  ${u.role.padEnd(6)}  ${u.createdAt}\n`);
      } catch (err) {
        fail(err);
      }
    });
}
