import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { seededRandom } from '../../../firmware-sim/common/sim-device.js';
import { SIMULATED_LINE_PATTERN, SimulatedLineScale } from '../../../firmware-sim/line/simulated-line-scale.js';
import { FakeTransport, watchDriver } from '../../../tests/helpers/scale-driver.js';
import type { ScaleReading } from '../scale.js';
import { lineConfigSchema, type LineConfigInput } from './config.js';
import { LineDriver } from './driver.js';
import { lineParser } from './parser.js';

const mass = (kg: number, stable = true, net = false): ScaleReading => ({ kind: 'mass', kg, stable, net });
const read = (config: LineConfigInput, line: string) => lineParser(lineConfigSchema.parse(config))(line);
const issues = (config: unknown) => lineConfigSchema.safeParse(config).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

describe('line: a pattern with named parts', () => {
  it('reads the lines of a scale of its own, stable only as the config says the scale says it', () => {
    // Ohaus-like: « ? » when moving, blank when stable.
    const ohausLike = { pattern: '(?<weight>-?[\\d.]+) (?<unit>\\w+) *(?<mark>\\?)?$', moving: { part: 'mark', equals: ['?'] } };
    expect(read(ohausLike, '     12.73 kg  ')).toEqual({ ok: true, reading: mass(12.73) });
    expect(read(ohausLike, '     12.73 kg ?')).toEqual({ ok: true, reading: mass(12.73, false) });
    // A status word that must say stable: anything else (a new code, a blank) is not stable.
    const statusWord = { pattern: '^(?<status>\\w\\w),(?<weight>[-+\\d. ]+)(?<unit>kg|g)$', stable: { part: 'status', equals: ['ST'] } };
    expect(read(statusWord, 'ST,+0012.34kg')).toEqual({ ok: true, reading: mass(12.34) });
    expect(read(statusWord, 'US,+0012.34kg')).toEqual({ ok: true, reading: mass(12.34, false) });
    expect(read(statusWord, 'XX,-0001.50kg')).toEqual({ ok: true, reading: mass(-1.5, false) });
    // A fixed unit, and net from a legend.
    const fixed = { pattern: '(?<weight>\\d+\\.\\d+)(?<flag>[ N])(?<stab>[SU])$', unit: 'kg', stable: { part: 'stab', equals: ['S'] }, net: { part: 'flag', equals: ['N'] } } satisfies LineConfigInput;
    expect(read(fixed, '0012.50NS')).toEqual({ ok: true, reading: mass(12.5, true, true) });
    expect(read(fixed, '0012.50 U')).toEqual({ ok: true, reading: mass(12.5, false) });
  });

  it('skips noise before a frame, and names a line the pattern does not match', () => {
    const config = { pattern: SIMULATED_LINE_PATTERN, stable: { part: 'mark', equals: ['S'] } };
    expect(read(config, '\x00#xS    12.34 kg')).toEqual({ ok: true, reading: mass(12.34) });
    expect(read(config, 'garbage')).toEqual({ ok: false, reason: 'the line does not match the pattern: "garbage"' });
    expect(read(config, 'S    12.34 kg NET')).toEqual({ ok: true, reading: mass(12.34) }); // no net rule: gross
  });

  it('refuses at start a config that cannot read a weight, naming the key', () => {
    expect(issues({ pattern: '(?<w>\\d+)', moving: { part: 'w', equals: ['?'] }, unit: 'kg' })).toEqual(['pattern: the pattern needs a (?<weight>…) part']);
    expect(issues({ pattern: '(?<weight>\\d+)', moving: { part: 'weight', equals: ['?'] } })).toEqual(['unit: the pattern has no (?<unit>…) part: give the unit']);
    expect(issues({ pattern: '(?<weight>\\d+) (?<unit>kg)' })).toEqual([expect.stringMatching(/^stable: say how the scale marks a stable/)]);
    expect(issues({ pattern: '(?<weight>\\d+) (?<unit>kg)', stable: { part: 'mark', equals: ['S'] } })).toEqual(['stable.part: the pattern has no (?<mark>…) part']);
    expect(issues({ pattern: '(?<weight>[', stable: { part: 'x', equals: ['S'] } })).toEqual([expect.stringMatching(/^pattern: not a regular expression/)]);
    expect(issues({})).toEqual([expect.stringMatching(/^pattern: /)]);
  });

  it('reads its twin, whose lines the README sample matches', () => {
    const sample = parseYaml(readFileSync(join(import.meta.dirname, 'sample.yaml'), 'utf8')) as { line: LineConfigInput };
    expect(sample.line.pattern).toBe(SIMULATED_LINE_PATTERN);
    const transport = new FakeTransport();
    const driver = new LineDriver(transport, sample.line);
    const seen = watchDriver(driver);
    driver.start();
    let now = 0;
    // The model's clock, stepped: no waiting.
    const twin = new SimulatedLineScale({ rng: seededRandom(1), settleMs: [50, 100], now: () => now });
    twin.setSink({ write: (b: Buffer) => transport.feed(b) });
    twin.load(12.34);
    for (; now < 300; now += 20) twin.tick();
    twin.model.tare();
    for (const end = now + 300; now < end; now += 20) twin.tick();
    twin.model.setOverload(true);
    twin.tick();
    const readings = seen.readings.map((r) => r.reading);
    expect(readings.some((r) => r.kind === 'mass' && !r.stable && r.kg !== 0)).toBe(true);
    expect(readings).toContainEqual(mass(12.34));
    expect(readings).toContainEqual(mass(0, true, true));
    // Over capacity its line holds dashes, and the mark says so.
    expect(readings.at(-1)).toEqual({ kind: 'overload' });
    expect(seen.errors).toEqual([]);
    void driver.stop();
  });
});
