import type { CounterDriver, CounterReading } from '../drivers/counter.js';
import { MtSicsDriver } from '../drivers/mt-sics/driver.js';
import { SartoriusDriver } from '../drivers/sartorius/driver.js';
import { parseSartoriusFrame } from '../drivers/sartorius/parser.js';
import type { FrameError, ScaleDriver, ScaleReading } from '../drivers/scale.js';
import type { SerialCounterConfigInput } from '../drivers/serial-counter/config.js';
import { SerialCounterDriver } from '../drivers/serial-counter/driver.js';
import { SmaDriver } from '../drivers/sma/driver.js';
import { StGsDriver } from '../drivers/stgs/driver.js';
import { parseStgsFrame } from '../drivers/stgs/parser.js';
import { ToledoDriver } from '../drivers/toledo/driver.js';
import type { ByteTransport } from '../transport/transport.js';

/**
 * The protocols the probe knows, each tried with its real driver: the probe never parses a frame itself, so
 * what it recognises is exactly what the agent will read with the config it prints.
 */

export type ProbeDriverName = 'stgs' | 'toledo' | 'sartorius' | 'serial-counter' | 'mt-sics' | 'sma';

/** One thing a driver made of the bytes: a scale reading or a counter's counts, with the frame's printable copy. */
export type ProbeFrame = { kind: 'scale'; reading: ScaleReading; raw: string } | { kind: 'counter'; counts: CounterReading };

/** What one driver made of the bytes it was given. */
export interface Tally {
  frames: ProbeFrame[];
  errors: FrameError[];
}

export interface Candidate {
  driver: ProbeDriverName;
  /** How the output names it. */
  label: string;
  /** passive: fed the capture; active: run on the live port, asking the device. */
  mode: 'passive' | 'active';
  deviceType: 'scale' | 'counter';
  /** The key of the driver's options in a device config. */
  optionsKey: 'stgs' | 'toledo' | 'sartorius' | 'serialCounter' | 'mtSics' | 'sma';
  /** Builds the driver on `transport` and counts what it reports. `config()` is the options block to print once done. */
  run(transport: ByteTransport): { driver: ScaleDriver | CounterDriver; tally: Tally; config(): Record<string, unknown> };
}

function watchScale(driver: ScaleDriver): Tally {
  const tally: Tally = { frames: [], errors: [] };
  driver.on('reading', (reading, raw) => tally.frames.push({ kind: 'scale', reading, raw }));
  driver.on('frameError', (error) => tally.errors.push(error));
  return tally;
}

function watchCounter(driver: CounterDriver): Tally {
  const tally: Tally = { frames: [], errors: [] };
  driver.on('counts', (counts) => tally.frames.push({ kind: 'counter', counts }));
  driver.on('frameError', (error) => tally.errors.push(error));
  return tally;
}

/** The distinct values `pick` gives over the scale frames, for a config comment (formats, frame lengths seen). */
function seen(tally: Tally, pick: (raw: string) => string | undefined): string[] {
  const values = new Set<string>();
  for (const f of tally.frames) {
    if (f.kind !== 'scale') continue;
    const v = pick(f.raw);
    if (v) values.add(v);
  }
  return [...values];
}

/**
 * Counter layouts worth trying: the frame length and the CRC are all the bytes can tell. Byte order and which
 * counter comes first give a valid CRC either way, so they stay at the defaults and the output says to check them.
 */
const COUNTER_LAYOUTS: Array<{ label: string; layout: SerialCounterConfigInput }> = [];
for (const counterBytes of [4, 2] as const)
  for (const etx of [0x03, null])
    for (const crc of ['crc8', 'dallas-maxim'] as const)
      for (const crcOver of ['counters', 'stx-and-counters'] as const)
        COUNTER_LAYOUTS.push({
          label: `${counterBytes * 8}-bit counters, ${crc}${crcOver === 'counters' ? '' : ' incl. STX'}${etx === null ? ', no ETX' : ''}`,
          layout: { counterBytes, etx, crc, crcOver },
        });

/**
 * Tried on a capture: the protocols a device sends without being asked. Order breaks ties, strictest first:
 * the Sartorius driver takes any line ending in a weight and a unit (MT-SICS `S S      12.34 kg` reads as SBI),
 * so a stricter driver reading the same frames is the better guess.
 */
export const PASSIVE_CANDIDATES: readonly Candidate[] = [
  {
    driver: 'stgs',
    label: 'ST,GS family (A&D, CAS, Dini Argeo…)',
    mode: 'passive',
    deviceType: 'scale',
    optionsKey: 'stgs',
    run(transport) {
      const driver = new StGsDriver(transport, { format: 'auto' });
      const tally = watchScale(driver);
      return {
        driver,
        tally,
        config: () => {
          // The real parser tells which layout each frame had; a single one seen is worth naming in the config.
          const formats = seen(tally, (raw) => {
            const r = parseStgsFrame(raw);
            return r.ok ? r.format : undefined;
          });
          return { format: formats.length === 1 ? formats[0]! : 'auto' };
        },
      };
    },
  },
  {
    driver: 'toledo',
    label: 'Toledo Continuous',
    mode: 'passive',
    deviceType: 'scale',
    optionsKey: 'toledo',
    run(transport) {
      const driver = new ToledoDriver(transport, { checksum: 'auto' });
      const tally = watchScale(driver);
      // What `auto` found is the safest setting to keep (the driver's README: set it when known).
      return { driver, tally, config: () => ({ checksum: driver.checksumMode ?? 'auto' }) };
    },
  },
  {
    driver: 'mt-sics',
    label: 'MT-SICS, continuous output (SIR)',
    mode: 'passive',
    deviceType: 'scale',
    optionsKey: 'mtSics',
    run(transport) {
      // No reset: a probe must not change the balance's state. Whatever it writes goes to the replay, not the port.
      const driver = new MtSicsDriver(transport, { mode: 'stream', resetOnConnect: false });
      return { driver, tally: watchScale(driver), config: () => ({ mode: 'stream' }) };
    },
  },
  {
    driver: 'sartorius',
    label: 'Sartorius SBI',
    mode: 'passive',
    deviceType: 'scale',
    optionsKey: 'sartorius',
    run(transport) {
      const driver = new SartoriusDriver(transport, { frameLength: 'auto' });
      const tally = watchScale(driver);
      return {
        driver,
        tally,
        config: () => {
          const lengths = seen(tally, (raw) => {
            const r = parseSartoriusFrame(raw);
            return r.ok ? String(r.length) : undefined;
          });
          return { frameLength: lengths.length === 1 ? Number(lengths[0]) : 'auto' };
        },
      };
    },
  },
  ...COUNTER_LAYOUTS.map(
    ({ label, layout }): Candidate => ({
      driver: 'serial-counter',
      label: `binary people counter (${label})`,
      mode: 'passive',
      deviceType: 'counter',
      optionsKey: 'serialCounter',
      run(transport) {
        const driver = new SerialCounterDriver(transport, layout);
        const { stx, etx, counterBytes, byteOrder, fieldOrder, crcOver } = driver.config;
        const crc = layout.crc as string;
        return { driver, tally: watchCounter(driver), config: () => ({ stx, etx, counterBytes, byteOrder, fieldOrder, crc, crcOver }) };
      },
    }),
  ),
];

/** Tried on the live port: the protocols that only answer requests. Nothing that changes the device is sent. */
export const ACTIVE_CANDIDATES: readonly Candidate[] = [
  {
    driver: 'mt-sics',
    label: 'Mettler Toledo MT-SICS',
    mode: 'active',
    deviceType: 'scale',
    optionsKey: 'mtSics',
    run(transport) {
      // SI polled, no `@` reset on connect: asking the weight is harmless, a reset may clear the tare.
      const driver = new MtSicsDriver(transport, { mode: 'poll', pollMs: 200, replyTimeoutMs: 500, resetOnConnect: false });
      return { driver, tally: watchScale(driver), config: () => ({ mode: 'poll', pollMs: 200 }) };
    },
  },
  {
    driver: 'sma',
    label: 'SMA SCP-0499',
    mode: 'active',
    deviceType: 'scale',
    optionsKey: 'sma',
    run(transport) {
      const driver = new SmaDriver(transport, { pollMs: 200, replyTimeoutMs: 500 });
      return { driver, tally: watchScale(driver), config: () => ({ pollMs: 200 }) };
    },
  },
];
