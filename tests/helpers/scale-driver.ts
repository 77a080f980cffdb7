import { EventEmitter } from 'node:events';
import type { FrameError, LinkState, ScaleDriver, ScaleReading } from '../../edge-agent/drivers/scale.js';
import type { ByteTransport, ByteTransportEvents } from '../../edge-agent/transport/transport.js';

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

export const isMass = (r: ScaleReading, kg: number, stable: boolean, net = false): boolean =>
  r.kind === 'mass' && r.kg === kg && r.stable === stable && r.net === net;

/**
 * Polls `check` every 10 ms until it holds; fails naming `what` after timeoutMs. Polled this often (as
 * stgs-pty does) on purpose: with 50 ms, the pty unplug tests hit a race in which @serialport/bindings-cpp
 * reads 0 bytes from the hung-up pty forever and never reports the disconnect.
 */
export async function waitUntil(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
