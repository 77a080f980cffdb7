import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from './log.js';

export interface ManagedInfluxdOptions {
  /** Folder holding meta/, data/, wal/ and the generated influxd.toml; kept across starts. */
  dir: string;
  httpPort: number;
  /** influxd's RPC listener (backup/restore) cannot be turned off: it is bound to loopback. */
  rpcPort: number;
  binary?: string;
  log?: Logger;
}

export interface RunningInfluxd {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

/** An influxd of our own: loopback only, no usage reporting, quiet logs, its files in `dir`. */
export function influxdConfigToml(dir: string, httpPort: number, rpcPort: number): string {
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

async function waitForPing(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited(child)) throw new Error(`influxd exited (${child.exitCode ?? child.signalCode}) before answering /ping:\n${output()}`);
    try {
      const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 204) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`influxd did not answer ${url}/ping within ${READY_TIMEOUT_MS} ms:\n${output()}`);
}

/**
 * Starts influxd and waits until it answers. If it dies later it is restarted (after 1 s, then up to
 * 30 s apart) until stop(): ingest keeps its batches and retries meanwhile.
 */
export async function startManagedInfluxd(opts: ManagedInfluxdOptions): Promise<RunningInfluxd> {
  const dir = resolve(opts.dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const configFile = join(dir, 'influxd.toml');
  await writeFile(configFile, influxdConfigToml(dir, opts.httpPort, opts.rpcPort));
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
        waitForPing(url, child, () => tail).then(
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

  child = spawnOnce();
  try {
    await waitForPing(url, child, () => tail);
  } catch (err) {
    await stop();
    throw err;
  }
  opts.log?.info({ url, dir }, 'InfluxDB started');
  return { url, port: opts.httpPort, stop };
}
