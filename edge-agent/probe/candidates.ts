import type { DeviceKind } from '../device-common.js';
import type { CounterDriver, CounterReading } from '../drivers/counter.js';
import type { DriverOfKind, ProbeTry, SerialDriverDefinition } from '../drivers/definition.js';
import { drivers, type SerialDriverName } from '../drivers/index.js';
import type { FrameError, ScaleDriver, ScaleReading } from '../drivers/scale.js';
import type { ByteTransport } from '../transport/transport.js';

/**
 * The protocols the probe knows: every serial driver's `probe` tries, each run with the real driver, so the probe
 * never parses a frame itself and what it recognises is exactly what the agent will read with the config it prints.
 */

export type ProbeDriverName = SerialDriverName;

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
  optionsKey: string;
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

/** The printable copies of the good frames, for the options a driver's probe try prints. */
function rawFrames(tally: Tally): string[] {
  return tally.frames.flatMap((f) => (f.kind === 'scale' ? [f.raw] : []));
}

function candidate<K extends DeviceKind>(definition: SerialDriverDefinition<K, ProbeDriverName>, tried: ProbeTry<K>, watch: (driver: DriverOfKind[K]) => Tally): Candidate {
  return {
    driver: definition.name,
    label: tried.label,
    mode: tried.mode,
    deviceType: definition.kind,
    optionsKey: definition.optionsKey,
    run(transport) {
      const { driver, options } = tried.open(transport);
      const tally = watch(driver);
      return { driver, tally, config: () => ({ ...options(rawFrames(tally)) }) };
    },
  };
}

/** Every try of every serial driver, in the registry's order (a tie goes to the first: see drivers/index.ts). */
const CANDIDATES: readonly Candidate[] = drivers.flatMap((d): Candidate[] => {
  if (d.connection !== 'serial') return [];
  return d.kind === 'scale' ? d.probe.map((t) => candidate(d, t, watchScale)) : d.probe.map((t) => candidate(d, t, watchCounter));
});

/** Tried on a capture: the protocols a device sends without being asked. */
export const PASSIVE_CANDIDATES: readonly Candidate[] = CANDIDATES.filter((c) => c.mode === 'passive');

/** Tried on the live port: the protocols that only answer requests. Nothing that changes the device is sent. */
export const ACTIVE_CANDIDATES: readonly Candidate[] = CANDIDATES.filter((c) => c.mode === 'active');
