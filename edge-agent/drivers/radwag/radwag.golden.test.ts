import { describe, expect, it } from 'vitest';
import { FakeTransport, watchDriver, wireTwin } from '../../../tests/helpers/scale-driver.js';
import { seededRandom } from '../../../firmware-sim/common/sim-device.js';
import { SimulatedRadwagScale } from '../../../firmware-sim/radwag/simulated-radwag-scale.js';
import type { ScaleReading } from '../scale.js';
import { RadwagDriver } from './driver.js';
import { parseRadwagReply, type RadwagReply } from './parser.js';

const mass = (kg: number, stable = true): ScaleReading => ({ kind: 'mass', kg, stable, net: false });
const result = (reading: ScaleReading, command = 'SI'): RadwagReply => ({ kind: 'reading', command, reading });

/**
 * RADWAG, R series balances user manual, § 15.2 « Response format », p. 83 (the same in the AS R2 plus manual,
 * § 14.2.1): command, space, stability marker ([?] if unstable, [^] high limit out of range, [v] low limit),
 * space, sign ([space] positive, [-] negative), 9 characters of mass right-justified, space, 3 of unit
 * left-justified, CR LF; and the first response to a command: XX_A in progress, XX_D done, XX_I not
 * accessible, XX_^ / XX_v threshold exceeded, XX_E time limit exceeded.
 */
/** A result line laid out by the manual's widths (written here, apart from the twin's encoder). */
const line = (command: string, marker: string, sign: string, mass: string, unit: string) => `${command.padEnd(3)} ${marker} ${sign}${mass.padStart(9)} ${unit.padEnd(3)}`;

const GOLDEN: Array<[string, RadwagReply]> = [
  [line('SI', ' ', ' ', '12.34', 'kg'), result(mass(12.34))],
  [line('SI', '?', ' ', '12.34', 'kg'), result(mass(12.34, false))],
  [line('SI', '?', '-', '0.50', 'kg'), result(mass(-0.5, false))],
  [line('SI', ' ', '-', '0.50', 'kg'), result(mass(-0.5))],
  [line('S', ' ', ' ', '1250.0', 'g'), result(mass(1.25), 'S')],
  [line('SUI', ' ', ' ', '30.50', 'lb'), result(mass(13.8346), 'SUI')],
  [line('SI', '^', ' ', '12.34', 'kg'), result(mass(12.34, false))], // a threshold where the stability would be: not stable
  [line('SI', 'v', ' ', '0.12', 'kg'), result(mass(0.12, false))],
  [line('SI', ' ', ' ', '12.5', 'ct'), result({ kind: 'not-mass', reason: 'unit "ct" is not converted' })],
  [line('SI', '?', ' ', '-FULL-', 'kg'), result({ kind: 'overload' })],
  [line('SI', '?', ' ', '-NULL-', 'kg'), result({ kind: 'underload' })],
  ['Z A', { kind: 'in-progress', command: 'Z' }],
  ['Z D', { kind: 'done', command: 'Z' }],
  ['T I', { kind: 'refused', command: 'T', reason: 'T: understood but not accessible at this moment (I)' }],
  ['S E', { kind: 'refused', command: 'S', reason: 'S: time limit exceeded while waiting for a stable result (E)' }],
  ['ES', { kind: 'refused', command: '', reason: 'the balance did not recognise the command (ES)' }],
];

describe('parseRadwagReply: golden replies', () => {
  it.each(GOLDEN)('%j', (line, reply) => {
    expect(parseRadwagReply(line)).toEqual({ ok: true, reply });
    // Parity bits and noise before the reply on its line change nothing.
    expect(parseRadwagReply(Buffer.from(`\x13#k${line}`, 'latin1'))).toEqual({ ok: true, reply });
  });

  it.each([
    ['a cut line', '34 kg '],
    ['another protocol', 'ST,GS,+0012.34kg'],
    ['a mass that is not a number', 'SI        12,34 kg '],
    // A letter, a weight and a unit, but not at the manual's widths: another protocol's line.
    ['a line of another protocol', 'S    12.34 kg'],
  ])('refuses %s', (_name, line) => {
    expect(parseRadwagReply(line).ok).toBe(false);
  });
});

function harness() {
  const transport = new FakeTransport();
  const driver = new RadwagDriver(transport, { pollMs: 20, replyTimeoutMs: 200 });
  const seen = watchDriver(driver);
  driver.start();
  return { transport, driver, seen, readings: () => seen.readings.map((r) => r.reading) };
}

describe('RadwagDriver against its twin', () => {
  it('polls SI, reads moving then stable, tares through Z/T A then D, and names a refusal', async () => {
    const h = harness();
    const twin = new SimulatedRadwagScale({ rng: seededRandom(3), settleMs: [60, 120] });
    wireTwin(h.transport, twin);
    twin.load(12.34);
    await expect.poll(() => h.readings().at(-1), { timeout: 5_000 }).toEqual(mass(12.34));
    expect(h.readings().some((r) => r.kind === 'mass' && !r.stable)).toBe(true);
    expect(twin.received.filter((c) => c === 'SI').length).toBeGreaterThan(1);

    h.driver.command('tare');
    await expect.poll(() => h.readings().at(-1), { timeout: 5_000 }).toEqual(mass(0));
    expect(twin.received).toContain('T');
    twin.model.setOverload(true);
    await expect.poll(() => h.readings().at(-1), { timeout: 5_000 }).toEqual({ kind: 'overload' });
    h.driver.command('zero');
    await expect.poll(() => h.seen.errors.map((e) => e.reason), { timeout: 5_000 }).toContain('Z: understood but not accessible at this moment (I)');
    await h.driver.stop();
  });
});
