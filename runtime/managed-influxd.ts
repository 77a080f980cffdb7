import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { escape } from 'influx';
import { z } from 'zod';
import { readInfluxCredentials, writeInfluxCredentials, type InfluxCredentials } from './credentials-file.js';
import type { Logger } from './log.js';

export interface ManagedInfluxdOptions {
  /** Folder holding meta/, data/, wal/ and the generated influxd.toml; kept across starts. */
  dir: string;
  httpPort: number;
  /** influxd's RPC listener (backup/restore) cannot be turned off: it is bound to loopback. */
  rpcPort: number;
  binary?: string;
  log?: Logger;
  /**
   * InfluxDB's authentication, with an admin whose password is generated at first start (default true).
   * Only tests that drive a throw-away influxd of their own turn it off.
   */
  auth?: boolean;
}

export interface RunningInfluxd {
  url: string;
  port: number;
  /** The 0600 file holding the admin's user and password (with auth): dir/credentials.json. */
  credentialsFile?: string;
  /** The influxd process now running (it changes when influxd is restarted): for CPU and memory figures. */
  pid(): number | undefined;
  stop(): Promise<void>;
}

/** The admin `trebuchet up`'s components connect as. */
const ADMIN_USERNAME = 'trebuchet';

/** Where a managed influxd with auth keeps its admin's credentials, for the tools that connect to it. */
export function managedInfluxCredentialsFile(dir: string): string {
  return join(resolve(dir), 'credentials.json');
}

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

/**
 * An influxd of our own: loopback only, no usage reporting, quiet logs, its files in `dir`. InfluxDB 1.x
 * answers every Origin with Access-Control-Allow-Origin set to it, and no setting turns that off
 * (services/httpd/handler.go, cors()): authentication is what keeps a web page in a browser on this machine
 * from reading or writing, since it has no credentials to send.
 */
export function influxdConfigToml(dir: string, httpPort: number, rpcPort: number, auth: boolean): string {
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(dir, 'meta')}"
  logging-enabled = false

[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false
  trace-logging-enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  log-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = ${auth}
  log-enabled = false
  suppress-write-log = true
  pprof-enabled = false

[logging]
  level = "error"
  suppress-logo = true
`;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((res) => {
    const timer = setTimeout(() => res(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      res(true);
    });
  });
}

const debugVarsSchema = z.object({ cmdline: z.array(z.string()) });

/**
 * Waits until our influxd answers. "Ours" is checked: when the port was taken (another data folder's
 * influxd, a parallel test's), /ping is answered by that other server while ours fails to bind, and the
 * admin set-up would then talk to someone else's InfluxDB. /debug/vars (open without auth) tells its config file.
 */
async function waitForPing(url: string, configFile: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited(child)) throw new Error(`influxd exited (${child.exitCode ?? child.signalCode}) before answering /ping:\n${output()}`);
    let answered = false;
    try {
      answered = (await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) })).status === 204;
    } catch {
      // Not listening yet.
    }
    if (answered) {
      const vars = debugVarsSchema.safeParse(await (await fetch(`${url}/debug/vars`, { signal: AbortSignal.timeout(5000) })).json().catch(() => null));
      if (vars.success && vars.data.cmdline.includes(configFile)) return;
      throw new Error(`${url} est servi par un autre influxd (${vars.success ? vars.data.cmdline.join(' ') : '?'}) : port déjà pris / ${url} is answered by another influxd: the port is taken`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`influxd did not answer ${url}/ping within ${READY_TIMEOUT_MS} ms:\n${output()}`);
}

function influxQuery(url: string, q: string, auth?: InfluxCredentials): Promise<Response> {
  const headers: Record<string, string> = auth ? { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` } : {};
  return fetch(`${url}/query`, { method: 'POST', headers, body: new URLSearchParams({ q }), signal: AbortSignal.timeout(10_000) });
}

/**
 * Makes sure the admin of the credentials file exists, generating both at first start. InfluxDB 1.x lets
 * anyone create the first admin while there is none, and nothing else: if someone beat us to it, our
 * password is refused and the start fails rather than run on an InfluxDB another user controls.
 */
async function ensureAdmin(url: string, dir: string, file: string, log?: Logger): Promise<void> {
  let admin = readInfluxCredentials(file);
  if (!admin) {
    admin = { username: ADMIN_USERNAME, password: randomBytes(24).toString('base64url') };
    // Written before the user is created: a start cut in between leaves a file whose user the next one creates.
    writeInfluxCredentials(file, admin);
  }
  if ((await influxQuery(url, 'SHOW USERS', admin)).ok) return;
  const created = await influxQuery(url, `CREATE USER ${escape.quoted(admin.username)} WITH PASSWORD ${escape.stringLit(admin.password)} WITH ALL PRIVILEGES`);
  if (created.ok && (await influxQuery(url, 'SHOW USERS', admin)).ok) {
    log?.info({ username: admin.username, credentialsFile: file }, 'InfluxDB admin created');
    return;
  }
  throw new Error(
    `L'InfluxDB de ${dir} refuse le mot de passe de ${file} : restaurez ce fichier depuis une sauvegarde / ` +
      `the InfluxDB in ${dir} refuses the password in ${file} (its admin was created with another one): restore that file from a backup`,
  );
}

/**
 * Starts influxd and waits until it answers. If it dies later it is restarted (after 1 s, then up to
 * 30 s apart) until stop(): ingest keeps its batches and retries meanwhile.
 */
export async function startManagedInfluxd(opts: ManagedInfluxdOptions): Promise<RunningInfluxd> {
  const dir = resolve(opts.dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const auth = opts.auth ?? true;
  const configFile = join(dir, 'influxd.toml');
  await writeFile(configFile, influxdConfigToml(dir, opts.httpPort, opts.rpcPort, auth));
  const url = `http://127.0.0.1:${opts.httpPort}`;
  let stopping = false;
  let restartDelayMs = 1000;
  let restartTimer: NodeJS.Timeout | undefined;
  let child!: ChildProcess;
  let tail = '';

  const spawnOnce = (): ChildProcess => {
    const c = spawn(opts.binary ?? 'influxd', ['-config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Only the tail of the output is kept, for error messages: a long-running influxd must not grow memory.
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
    };
    c.stdout?.on('data', keep);
    c.stderr?.on('data', keep);
    c.on('error', (err) => keep(Buffer.from(`cannot start influxd: ${err.message}\n`)));
    c.on('exit', (code, signal) => {
      if (stopping) return;
      opts.log?.error({ code, signal, output: tail.slice(-500), restartInMs: restartDelayMs }, 'influxd exited; restarting');
      restartTimer = setTimeout(() => {
        child = spawnOnce();
        waitForPing(url, configFile, child, () => tail).then(
          () => {
            restartDelayMs = 1000;
            opts.log?.info({ url }, 'influxd is back');
          },
          () => undefined,
        );
      }, restartDelayMs);
      restartDelayMs = Math.min(30_000, restartDelayMs * 2);
    });
    return c;
  };
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    stopping = true;
    if (restartTimer) clearTimeout(restartTimer);
    process.off('exit', killOnExit);
    child.kill('SIGTERM');
    if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
      child.kill('SIGKILL');
      await waitForExit(child, STOP_TIMEOUT_MS);
    }
  };

  const credentialsFile = auth ? managedInfluxCredentialsFile(dir) : undefined;
  child = spawnOnce();
  try {
    await waitForPing(url, configFile, child, () => tail);
    if (credentialsFile) await ensureAdmin(url, dir, credentialsFile, opts.log);
  } catch (err) {
    await stop();
    throw err;
  }
  opts.log?.info({ url, dir, auth }, 'InfluxDB started');
  return { url, port: opts.httpPort, ...(credentialsFile ? { credentialsFile } : {}), pid: () => child.pid, stop };
}
