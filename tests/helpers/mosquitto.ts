import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import type { BrokerConfig } from '../../broker/config.js';
import { writeMosquittoConfig, type MosquittoConfigResult } from '../../broker/mosquitto/write-config.js';
import { waitFor } from './wait.js';

export const MOSQUITTO = process.env.TREBUCHET_MOSQUITTO ?? '/usr/sbin/mosquitto';

/** What a test's Mosquitto adds to the generated config: no state kept between runs, its log on stdout. */
const TEST_MOSQUITTO_SETTINGS = [
  'persistence false',
  'log_dest stdout',
  'log_type error',
  'log_type warning',
  'log_type notice',
  'log_timestamp_format %Y-%m-%dT%H:%M:%S',
  // Running as root, Mosquitto would switch to the `mosquitto` user, which cannot read these 0600 files.
  ...(process.getuid?.() === 0 ? ['user root'] : []),
];

/** A Mosquitto configured by `trebuchet broker mosquitto-config`'s own code, with the test settings. */
export function writeTestMosquittoConfig(config: BrokerConfig, dir: string): Promise<MosquittoConfigResult> {
  return writeMosquittoConfig(config, dir, TEST_MOSQUITTO_SETTINGS);
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

export interface TestMosquitto {
  process: ChildProcess;
  /** Its output so far (the test settings log to stdout). */
  log(): string;
  /** SIGHUP: Mosquitto rereads its password and ACL files. */
  reload(): void;
  stop(): Promise<void>;
}

/** Starts Mosquitto on a written config and waits until each of `ports` accepts connections. */
export async function startTestMosquitto(conf: string, ports: number[]): Promise<TestMosquitto> {
  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  for (const port of ports) {
    await waitFor(`mosquitto on port ${port}`, async () => {
      if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode}):\n${out}`);
      return accepts(port);
    });
  }
  return {
    process: child,
    log: () => out,
    reload: () => child.kill('SIGHUP'),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
