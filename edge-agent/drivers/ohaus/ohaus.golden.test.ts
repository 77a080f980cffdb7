import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../firmware-sim/common/sim-device.js';
import { SimulatedOhausScale } from '../../../firmware-sim/ohaus/simulated-ohaus-scale.js';
import { drivenByTwin, FakeTransport, watchDriver } from '../../../tests/helpers/scale-driver.js';
import type { ScaleReading } from '../scale.js';
import { OhausDriver } from './driver.js';
import { parseOhausLine, type OhausReply } from './parser.js';

const mass = (kg: number, stable = true, net = false): ScaleReading => ({ kind: 'mass', kg, stable, net });
const reading = (r: ScaleReading): OhausReply => ({ kind: 'reading', reading: r });

/**
 * OHAUS RS232 interface manual, « Output format », EN-3: weight (11–12 characters, right-justified), space,
 * unit (1–5), space, stability indicator (1 character; « ? » when unstable, blank when stable), space, legend.
 * Its examples, spaces for the manual's « * »: `********0.00*g*****`, `*******12.73*g****?`,
 * `******0.5950*oz***?`, `***********3*PCS**?`, `********0.85*oz*****WET*WT`; format 2: `*******0.211*kg*?`.
 */
const GOLDEN: Array<[string, OhausReply]> = [
  ['        0.00 g     ', reading(mass(0))],
  ['       12.73 g    ?', reading(mass(0.01273, false))],
  ['       12.72 g    ?', reading(mass(0.01272, false))],
  ['      0.5950 oz   ?', reading({ kind: 'not-mass', reason: 'unit "oz" is not converted' })],
  ['           3 PCS  ?', reading({ kind: 'not-mass', reason: 'counting mode (pcs)' })],
  ['        0.85 oz     WET WT', reading({ kind: 'not-mass', reason: 'unit "oz" is not converted' })],
  ['        200 g  ', reading(mass(0.2))],
  ['        311 g ?', reading(mass(0.311, false))],
  ['       0.211 kg ?', reading(mass(0.211, false))],
  ['       2.50 kg   NET', reading(mass(2.5, true, true))],
  ['      -1.25 kg    NET', reading(mass(-1.25, true, true))],
  ['          OL', reading({ kind: 'overload' })],
  ['OK!', { kind: 'ok' }],
  ['ES', { kind: 'refused', reason: 'the balance did not recognise the command (ES)' }],
];

describe('parseOhausLine: golden lines', () => {
  it.each(GOLDEN)('%j', (line, reply) => {
    expect(parseOhausLine(line)).toEqual({ ok: true, reply });
  });

  it('skips noise before the weight, which cannot make it negative', () => {
    expect(parseOhausLine('\x00#x-      12.73 g    ?')).toEqual({ ok: true, reply: reading(mass(0.01273, false)) });
  });

  it.each([
    ['a cut line', 'g    ?'],
    ['another protocol', 'ST,GS,+0012.34kg'],
    ['a banner', 'OHAUS SCOUT'],
    // A status letter before a weight that does not fill its right-justified field: another protocol's line.
    ['a moving line of another protocol', 'M    12.34 kg'],
  ])('refuses %s', (_n, line) => {
    expect(parseOhausLine(line).ok).toBe(false);
  });
});

describe('OhausDriver against its twin', () => {
  it('polls IP, reads moving then stable, tares (NET after), and reads an overload', async () => {
    const twin = new SimulatedOhausScale({ rng: seededRandom(5), settleMs: [60, 120] });
    const { driver, seen, readings } = drivenByTwin((t) => new OhausDriver(t, { pollMs: 20, replyTimeoutMs: 200 }), twin);
    twin.load(12.34);
    await expect.poll(() => readings().at(-1), { timeout: 5_000 }).toEqual(mass(12.34));
    expect(readings().some((r) => r.kind === 'mass' && !r.stable)).toBe(true);
    driver.command('tare');
    await expect.poll(() => readings().at(-1), { timeout: 5_000 }).toEqual(mass(0, true, true));
    twin.model.setOverload(true);
    await expect.poll(() => readings().at(-1), { timeout: 5_000 }).toEqual({ kind: 'overload' });
    expect(seen.errors).toEqual([]);
    await driver.stop();
  });

  it('with pollMs 0 sends nothing and reads what the balance prints by itself', () => {
    const transport = new FakeTransport();
    const driver = new OhausDriver(transport, { pollMs: 0 });
    const seen = watchDriver(driver);
    driver.start();
    transport.emit('open');
    transport.feed('       12.73 g    ?\r\n       12.73 g     \r\n');
    expect(seen.readings.map((r) => r.reading)).toEqual([mass(0.01273, false), mass(0.01273)]);
    expect(transport.written).toEqual([]);
    void driver.stop();
  });
});
