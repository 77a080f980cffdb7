import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SerialPort } from 'serialport';
import type { SimulatedDevice } from './sim-device.js';

export interface PtyPair {
  /** What the agent opens, as it would open /dev/serial/by-id/…. */
  readonly devicePath: string;
  /** What the simulator writes to (see attach()). */
  readonly simPath: string;
  /** Plays `device` on the simulator side, and again after each replug, until close(). */
  attach(device: SimulatedDevice): Promise<void>;
  /** Pulls the cable: socat stops, both links vanish, the agent's port gets an I/O error. */
  unplug(): Promise<void>;
  /** Plugs it back: socat starts again with the same links (on new /dev/pts numbers). */
  replug(): Promise<void>;
  /** Stops socat and removes the temporary directory. */
  close(): Promise<void>;
}

const START_TIMEOUT_MS = 5_000;

/**
 * A virtual serial cable: `socat pty,raw,echo=0,link=A pty,raw,echo=0,link=B` in a temporary directory.
 * A pty ignores baud rate and parity; the simulator adds parity bits and garbage itself.
 */
export async function createPtyPair(): Promise<PtyPair> {
  const dir = await mkdtemp(join(tmpdir(), 'trebuchet-pty-'));
  const devicePath = join(dir, 'device');
  const simPath = join(dir, 'sim');
  let socat: ChildProcess | undefined;
  let device: SimulatedDevice | undefined;
  let simPort: SerialPort | undefined;
  // A crashed test must not leave socat behind.
  const killOnExit = (): void => void socat?.kill('SIGKILL');
  process.once('exit', killOnExit);

  async function start(): Promise<void> {
    const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${simPath}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    socat = child;
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    let failure: Error | undefined;
    child.once('error', (err) => (failure = err));
    child.once('exit', (code, signal) => (failure ??= new Error(`socat exited (${code ?? signal}): ${stderr.trim()}`)));
    const deadline = Date.now() + START_TIMEOUT_MS;
    // socat logs "starting data transfer loop" once both ptys exist and their links are made.
    while (!(stderr.includes('starting data transfer loop') && existsSync(devicePath) && existsSync(simPath))) {
      if (failure) throw failure;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`socat did not create ${devicePath} and ${simPath} within ${START_TIMEOUT_MS} ms: ${stderr.trim()}`);
      }
      await sleep(10);
    }
    if (device) await openSimSide(device);
  }

  async function stopSocat(): Promise<void> {
    const child = socat;
    socat = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM'); // socat removes its links on SIGTERM
    });
  }

  async function openSimSide(target: SimulatedDevice): Promise<void> {
    const port = new SerialPort({ path: simPath, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    port.on('data', (chunk: Buffer) => target.receive(chunk));
    // The cable goes away under the simulator too; it simply stops writing.
    port.on('error', () => undefined);
    port.on('close', () => {
      if (simPort === port) {
        simPort = undefined;
        target.setSink(undefined);
      }
    });
    simPort = port;
    target.setSink(port);
  }

  async function closeSimSide(): Promise<void> {
    const port = simPort;
    simPort = undefined;
    device?.setSink(undefined);
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  await start();
  return {
    devicePath,
    simPath,
    async attach(target) {
      await closeSimSide();
      device = target;
      await openSimSide(target);
    },
    async unplug() {
      await closeSimSide();
      await stopSocat();
    },
    async replug() {
      if (!socat) await start();
    },
    async close() {
      await closeSimSide();
      device = undefined;
      await stopSocat();
      process.off('exit', killOnExit);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
