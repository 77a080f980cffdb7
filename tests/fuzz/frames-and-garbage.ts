import type { ScaleDriver, ScaleReading } from '../../edge-agent/drivers/scale.js';
import { LineDriver } from '../../edge-agent/drivers/line/driver.js';
import { MtSicsDriver } from '../../edge-agent/drivers/mt-sics/driver.js';
import { NciDriver } from '../../edge-agent/drivers/nci/driver.js';
import { OhausDriver } from '../../edge-agent/drivers/ohaus/driver.js';
import { RadwagDriver } from '../../edge-agent/drivers/radwag/driver.js';
import { SartoriusDriver } from '../../edge-agent/drivers/sartorius/driver.js';
import { SmaDriver } from '../../edge-agent/drivers/sma/driver.js';
import { StGsDriver } from '../../edge-agent/drivers/stgs/driver.js';
import { ToledoDriver } from '../../edge-agent/drivers/toledo/driver.js';
import { seededRandom } from '../../firmware-sim/common/sim-device.js';
import { SIMULATED_LINE_PATTERN } from '../../firmware-sim/line/simulated-line-scale.js';
import { encodeMtSicsReply } from '../../firmware-sim/mt-sics/mt-sics-frames.js';
import { encodeNciReply } from '../../firmware-sim/nci/nci-frames.js';
import { encodeOhausLine } from '../../firmware-sim/ohaus/ohaus-frames.js';
import { encodeRadwagResult } from '../../firmware-sim/radwag/radwag-frames.js';
import { encodeSartoriusFrame } from '../../firmware-sim/sartorius/sartorius-frames.js';
import { encodeSmaReply } from '../../firmware-sim/sma/sma-frames.js';
import { encodeDiniExtended, encodeStgsFrame } from '../../firmware-sim/stgs/stgs-frames.js';
import { encodeToledoFrame } from '../../firmware-sim/toledo/toledo-frames.js';
import { FakeTransport } from '../helpers/scale-driver.js';

/** A stream driver under fuzz: how to build it, and its twin's frame for a stable weight. */
export interface FuzzCase {
  name: string;
  driver(transport: FakeTransport): ScaleDriver;
  /** A valid frame of a stable gross weight of `kg` (two decimals), CR LF or checksum included. */
  frame(kg: number): Buffer;
}

/** Every serial scale driver of the agent, each with the frames of its own twin (firmware-sim). */
export const FUZZ_CASES: FuzzCase[] = [
  { name: 'stgs (A&D balance)', driver: (t) => new StGsDriver(t), frame: (kg) => encodeStgsFrame('ad-balance', { status: 'stable', value: kg }) },
  { name: 'stgs (A&D indicator)', driver: (t) => new StGsDriver(t), frame: (kg) => encodeStgsFrame('ad-indicator', { status: 'stable', value: kg }) },
  { name: 'stgs (CAS)', driver: (t) => new StGsDriver(t), frame: (kg) => encodeStgsFrame('cas', { status: 'stable', value: kg }) },
  { name: 'stgs (Dini)', driver: (t) => new StGsDriver(t), frame: (kg) => encodeStgsFrame('dini', { status: 'stable', value: kg }) },
  { name: 'stgs (Dini AF string)', driver: (t) => new StGsDriver(t), frame: (kg) => encodeDiniExtended('af', { status: 'stable', value: kg }) },
  { name: 'stgs (Dini REXT)', driver: (t) => new StGsDriver(t), frame: (kg) => encodeDiniExtended('rext', { status: 'stable', value: kg }) },
  { name: 'toledo', driver: (t) => new ToledoDriver(t), frame: (kg) => encodeToledoFrame({ status: 'stable', value: kg }) },
  { name: 'mt-sics', driver: (t) => new MtSicsDriver(t, { mode: 'stream' }), frame: (kg) => encodeMtSicsReply({ reply: 'weight', stable: true, value: kg }) },
  { name: 'sartorius (16)', driver: (t) => new SartoriusDriver(t), frame: (kg) => encodeSartoriusFrame({ status: 'stable', value: kg }) },
  { name: 'sartorius (22)', driver: (t) => new SartoriusDriver(t), frame: (kg) => encodeSartoriusFrame({ status: 'stable', value: kg, id: 'G#' }) },
  { name: 'sma', driver: (t) => new SmaDriver(t), frame: (kg) => encodeSmaReply({ value: kg }) },
  { name: 'radwag', driver: (t) => new RadwagDriver(t), frame: (kg) => encodeRadwagResult({ value: kg }) },
  { name: 'nci', driver: (t) => new NciDriver(t), frame: (kg) => encodeNciReply({ value: kg }) },
  {
    name: 'line (the twin\'s pattern)',
    driver: (t) => new LineDriver(t, { pattern: SIMULATED_LINE_PATTERN, stable: { part: 'mark', equals: ['S'] } }),
    frame: (kg) => Buffer.from(`S ${kg.toFixed(2).padStart(8)} kg\r\n`, 'latin1'),
  },
  { name: 'ohaus', driver: (t) => new OhausDriver(t), frame: (kg) => encodeOhausLine({ stable: true, value: kg }) },
];

export interface FuzzResult {
  name: string;
  /** Random bytes fed between the frames. */
  garbageBytes: number;
  frames: number;
  exceptions: number;
  /** Masses, overloads or underloads that are not one of the valid frames: a weight made of garbage. */
  falseReadings: number;
  recovered: number;
  /** Valid frames parsed per second, garbage included in the time. */
  framesPerSecond: number;
}

/**
 * Feeds a driver `garbageBytes` random bytes (every byte value, CR and LF included) with a valid frame
 * after each run of 0–40 of them, in chunks cut at random, and counts what comes out. Each frame weighs
 * its own number of centigrams, so that a reading tells which frame it came from, or that it came from
 * none.
 */
export function fuzzDriver(c: FuzzCase, garbageBytes: number, seed = 42): FuzzResult {
  const random = seededRandom(seed);
  const parts: Buffer[] = [];
  const expected = new Set<number>();
  let garbage = 0;
  for (let i = 1; garbage < garbageBytes; i++) {
    const n = Math.min(garbageBytes - garbage, Math.floor(random() * 41));
    parts.push(Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256))));
    garbage += n;
    const kg = ((i % 900_000) + 1) / 100;
    expected.add(kg);
    parts.push(c.frame(kg));
  }
  const stream = Buffer.concat(parts);

  const transport = new FakeTransport();
  const driver = c.driver(transport);
  const readings: ScaleReading[] = [];
  let exceptions = 0;
  driver.on('reading', (r) => readings.push(r));
  driver.on('frameError', () => {});
  driver.start();
  const t0 = performance.now();
  for (let at = 0; at < stream.length; ) {
    const size = 1 + Math.floor(random() * 64);
    try {
      transport.feed(stream.subarray(at, at + size));
    } catch {
      exceptions++;
    }
    at += size;
  }
  const seconds = (performance.now() - t0) / 1000;
  void driver.stop();

  const seen = new Set<number>();
  let falseReadings = 0;
  for (const r of readings) {
    if (r.kind === 'not-mass') continue;
    // A valid frame read as moving (a `?` in the noise before it, say) is not a false reading, nor recovered.
    if (r.kind === 'mass' && expected.has(r.kg)) {
      if (r.stable) seen.add(r.kg);
    } else falseReadings++;
  }
  return { name: c.name, garbageBytes: garbage, frames: expected.size, exceptions, falseReadings, recovered: seen.size, framesPerSecond: expected.size / seconds };
}

/** The table the fuzz test prints. */
export function fuzzTable(results: readonly FuzzResult[]): string {
  const rows = results.map((r) =>
    [r.name.padEnd(26), String(r.exceptions).padStart(10), String(r.falseReadings).padStart(14), `${r.recovered}/${r.frames} (${((100 * r.recovered) / r.frames).toFixed(2)} %)`.padStart(24), r.framesPerSecond.toFixed(0).padStart(10)].join(''),
  );
  return [`${'driver'.padEnd(26)}${'exceptions'.padStart(10)}${'false readings'.padStart(14)}${'valid frames recovered'.padStart(24)}${'frames/s'.padStart(10)}`, ...rows].join('\n');
}
