import { EventEmitter } from 'node:events';
import { afterEach, expect, it } from 'vitest';
import type { FrameError, LinkState, ScaleDriver, ScaleReading } from '../../edge-agent/drivers/scale.js';
import { transportSchema, type TransportConfig } from '../../edge-agent/transport/config.js';
import type { ByteTransport, ByteTransportEvents } from '../../edge-agent/transport/transport.js';
import { createPtyPair, type PtyPair } from '../../firmware-sim/common/pty-pair.js';
import type { SimulatedDevice } from '../../firmware-sim/common/sim-device.js';
import { waitFor } from './wait.js';

/** A transport the test drives by hand: feed() plays the device, `written` is what the driver sent. */
export class FakeTransport extends EventEmitter<ByteTransportEvents> implements ByteTransport {
  readonly description = 'fake';
  isOpen = false;
  written: Buffer[] = [];
  start(): void {}
  async stop(): Promise<void> {}
  write(data: Buffer | string): void {
    this.written.push(Buffer.isBuffer(data) ? data : Buffer.from(data, 'latin1'));
  }
  feed(bytes: Buffer | string | number[]): void {
    this.emit('data', Buffer.isBuffer(bytes) ? bytes : typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes));
  }
}

/** Wires a twin to a FakeTransport in memory (what the driver writes, the twin hears, and back), then opens the link. */
export function wireTwin(transport: FakeTransport, twin: Pick<SimulatedDevice, 'setSink' | 'receive'>): void {
  twin.setSink({ write: (b: Buffer) => transport.feed(b) });
  transport.write = (data: Buffer | string) => twin.receive(Buffer.isBuffer(data) ? data : Buffer.from(data, 'latin1'));
  transport.emit('open');
}

/** A driver started on a FakeTransport wired to its twin: what it reported, and its readings alone. */
export function drivenByTwin<D extends ScaleDriver>(makeDriver: (transport: FakeTransport) => D, twin: Pick<SimulatedDevice, 'setSink' | 'receive'>) {
  const transport = new FakeTransport();
  const driver = makeDriver(transport);
  const seen = watchDriver(driver);
  driver.start();
  wireTwin(transport, twin);
  return { transport, driver, seen, readings: () => seen.readings.map((r) => r.reading) };
}

/** Everything a driver reported, with the time it was reported. */
export function watchDriver(driver: ScaleDriver) {
  const seen = {
    readings: [] as Array<{ reading: ScaleReading; raw: string; at: number }>,
    errors: [] as FrameError[],
    links: [] as Array<{ state: LinkState; detail: string | undefined; at: number }>,
  };
  driver.on('reading', (reading, raw) => seen.readings.push({ reading, raw, at: Date.now() }));
  driver.on('frameError', (e) => seen.errors.push(e));
  driver.on('link', (state, detail) => seen.links.push({ state, detail, at: Date.now() }));
  return seen;
}

export type DriverWatch = ReturnType<typeof watchDriver>;

/**
 * A driver started on a FakeTransport, and everything it reported: readings with their raw bytes, frame
 * errors and link states. `sent()` is what it wrote, as text; `open()` and `close()` play the link.
 */
export function fakeLinkHarness<D extends ScaleDriver>(makeDriver: (transport: FakeTransport) => D) {
  const transport = new FakeTransport();
  const driver = makeDriver(transport);
  const readings: ScaleReading[] = [];
  const raws: string[] = [];
  const errors: FrameError[] = [];
  const links: Array<[LinkState, string | undefined]> = [];
  driver.on('reading', (r, raw) => {
    readings.push(r);
    raws.push(raw);
  });
  driver.on('frameError', (e) => errors.push(e));
  driver.on('link', (state, detail) => links.push([state, detail]));
  driver.start();
  const sent = (): string[] => transport.written.map((b) => b.toString('latin1'));
  const open = (): boolean => transport.emit('open');
  const close = (reason: string): boolean => transport.emit('close', reason);
  return { transport, driver, readings, raws, errors, links, sent, open, close };
}

export const isMass = (r: ScaleReading, kg: number, stable: boolean, net = false): boolean =>
  r.kind === 'mass' && r.kg === kg && r.stable === stable && r.net === net;

/**
 * Polls `check` every 10 ms until it holds; fails naming `what` after timeoutMs. Polled this often (as
 * stgs-pty does) on purpose: with 50 ms, the pty unplug tests hit a race in which @serialport/bindings-cpp
 * reads 0 bytes from the hung-up pty forever and never reports the disconnect.
 */
export type Cleanups = Array<() => Promise<void> | void>;

/** What to undo after each test of the file (pty pairs, twins, drivers), last first. Call it at the top level. */
export function cleanupsAfterEach(): Cleanups {
  const cleanups: Cleanups = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return cleanups;
}

/** Loads `kg`, and checks that moving readings come first, then the exact stable weight. */
export async function loadAndSettle(scale: { load(kg: number): void }, seen: DriverWatch, kg: number, net = false): Promise<void> {
  const from = seen.readings.length;
  scale.load(kg);
  await waitFor(`a stable ${kg} kg reading`, () => seen.readings.slice(from).some((r) => isMass(r.reading, kg, true, net)));
  const after = seen.readings.slice(from).map((r) => r.reading);
  const firstStable = after.findIndex((r) => isMass(r, kg, true, net));
  expect(after.slice(0, firstStable).some((r) => r.kind === 'mass' && !r.stable)).toBe(true);
}

/**
 * Pulls the device of `pair` out for a second while the driver `seen` watches reads a stable `kg`: the
 * driver must report the close, read again within 3 s of the replug (logged as `[label]`), and find the
 * stable weight again within `stableTimeoutMs`.
 */
export async function unplugAndReplug(pair: PtyPair, seen: DriverWatch, kg: number, label: string, stableTimeoutMs = 5_000): Promise<void> {
  await pair.unplug();
  await waitFor('the driver to report the close', () => seen.links.at(-1)?.state === 'closed');
  expect(seen.links.at(-1)!.detail).toMatch(/disconnected|cannot open|closed/);
  await new Promise((r) => setTimeout(r, 1_000)); // the cable stays out a second

  const replugAt = Date.now();
  const readingsBefore = seen.readings.length;
  await pair.replug();
  await waitFor('a reading after the replug', () => seen.readings.length > readingsBefore, 3_000);
  const recoveryMs = seen.readings[readingsBefore]!.at - replugAt;
  console.log(`[${label}] serial replug → first reading: ${recoveryMs} ms`);
  expect(recoveryMs).toBeLessThan(3_000);
  expect(seen.links.at(-1)!.state).toBe('open');
  await waitFor('the stable weight again', () => seen.readings.slice(readingsBefore).some((r) => isMass(r.reading, kg, true)), stableTimeoutMs);
}

/**
 * A socat pty pair with the twin `scale` on one side and, on the other, the driver `makeDriver` builds for
 * the serial transport of the pair (as the agent builds it from a device config), started and with its
 * port open. Driver, twin and pair are undone after the test, in that order.
 */
export async function driverOnPty<S extends SimulatedDevice & { stop(): void }, D extends ScaleDriver>(
  cleanups: Cleanups,
  scale: S,
  makeDriver: (transport: TransportConfig) => D,
): Promise<{ pair: PtyPair; scale: S; driver: D; seen: DriverWatch }> {
  const pair = await createPtyPair();
  cleanups.push(() => pair.close());
  cleanups.push(() => scale.stop());
  await pair.attach(scale);
  const driver = makeDriver(transportSchema.parse({ type: 'serial', path: pair.devicePath }));
  cleanups.push(() => driver.stop());
  const seen = watchDriver(driver);
  driver.start();
  await waitFor('the port to open', () => seen.links.some((l) => l.state === 'open'));
  return { pair, scale, driver, seen };
}

/**
 * What every framed stream driver owes its golden tests: the same readings, and no error, whatever byte
 * boundary splits the stream (down to one byte at a time), and with a parity bit set on every byte.
 */
export function itReadsAStreamAnyhowCut(
  harness: () => { transport: FakeTransport; readings: ScaleReading[]; errors: FrameError[] },
  stream: string,
  expected: ScaleReading[],
  options: { parity?: boolean } = { parity: true },
): void {
  it('gives the same readings whatever byte boundary splits the stream', () => {
    const bytes = Buffer.from(stream, 'latin1');
    for (let i = 1; i < bytes.length; i++) {
      const h = harness();
      h.transport.feed(bytes.subarray(0, i));
      h.transport.feed(bytes.subarray(i));
      expect(h.readings, `split at ${i}`).toEqual(expected);
      expect(h.errors, `split at ${i}`).toEqual([]);
    }
    const h = harness();
    for (const b of bytes) h.transport.feed(Buffer.from([b]));
    expect(h.readings).toEqual(expected);
  });

  if (options.parity) {
    it('masks a parity bit set on every byte, line ends included', () => {
      const h = harness();
      h.transport.feed(Buffer.from(Buffer.from(stream, 'latin1').map((b) => b | 0x80)));
      expect(h.readings).toEqual(expected);
      expect(h.errors).toEqual([]);
    });
  }
}
