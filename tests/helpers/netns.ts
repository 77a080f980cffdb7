import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomInt } from 'node:crypto';

/**
 * A second machine for tests of the field: a network namespace of its own (the shop's Pi), reached from this
 * one (the server) over a veth pair, so that traffic crosses a real interface and not loopback. Addresses are
 * the test's own, in 198.18.0.0/15 (RFC 2544, for benchmarks: never routed), a /30 per namespace.
 */
export interface PiNamespace {
  name: string;
  serverIp: string;
  piIp: string;
  /**
   * Runs a command inside the namespace and waits for it, without blocking this process: the server it talks
   * to may well be running in it.
   */
  run(command: string, args: string[], options?: { input?: string; timeoutMs?: number }): Promise<Finished>;
  /** Starts a long-running command inside the namespace. */
  start(command: string, args: string[], options?: SpawnOptions): ChildProcess;
  remove(): void;
}

export interface Finished {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A child's exit and output, its stdin given `input` (closed, so that openssl s_client ends). */
export function finished(child: ChildProcess, input = ''): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // A child may exit before reading its input (s_client refused by the server at the handshake): the write
  // then fails with EPIPE, which says nothing its exit status and output do not; unheard, it would crash the run.
  child.stdin?.on('error', () => {});
  child.stdin?.end(input);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr || r.error?.message}`);
}

/** Why this machine cannot make namespaces, or undefined when it can (root and iproute2). */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  if (spawnSync('ip', ['-V']).status !== 0) return 'the ip command (iproute2) is missing';
  return undefined;
}

export function createPiNamespace(): PiNamespace {
  const id = randomInt(1, 2 ** 14);
  const name = `tb-pi-${id}`;
  const hostSide = `tbh${id}`;
  const piSide = `tbp${id}`;
  // 198.18.0.0/15 holds 2^15 /30 blocks: the id picks one, so parallel tests do not collide.
  const base = id * 4;
  const octets = (n: number) => `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
  const serverIp = octets(base + 1);
  const piIp = octets(base + 2);
  ip(['netns', 'add', name]);
  try {
    ip(['link', 'add', hostSide, 'type', 'veth', 'peer', 'name', piSide]);
    ip(['link', 'set', piSide, 'netns', name]);
    ip(['addr', 'add', `${serverIp}/30`, 'dev', hostSide]);
    ip(['link', 'set', hostSide, 'up']);
    ip(['-n', name, 'addr', 'add', `${piIp}/30`, 'dev', piSide]);
    ip(['-n', name, 'link', 'set', piSide, 'up']);
    ip(['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (err) {
    spawnSync('ip', ['link', 'del', hostSide]);
    spawnSync('ip', ['netns', 'del', name]);
    throw err;
  }
  return {
    name,
    serverIp,
    piIp,
    run(command, args, options = {}) {
      return finished(spawn('ip', ['netns', 'exec', name, command, ...args], { timeout: options.timeoutMs ?? 60_000 }), options.input);
    },
    start(command, args, options = {}) {
      return spawn('ip', ['netns', 'exec', name, command, ...args], options);
    },
    remove() {
      // Deleting the namespace deletes its end of the pair, and with it the host's.
      spawnSync('ip', ['netns', 'del', name]);
      spawnSync('ip', ['link', 'del', hostSide]);
    },
  };
}
