import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../firmware-sim/common/sim-device.js';
import { SimulatedNciScale } from '../../../firmware-sim/nci/simulated-nci-scale.js';
import { drivenByTwin } from '../../../tests/helpers/scale-driver.js';
import type { ScaleReading } from '../scale.js';
import { NciDriver } from './driver.js';
import { parseNciReply, type NciReply } from './parser.js';

const mass = (kg: number, stable = true, net = false): ScaleReading => ({ kind: 'mass', kg, stable, net });
const reading = (r: ScaleReading): NciReply => ({ kind: 'reading', reading: r });
/** A reply from its parts, CR ETX removed (the framer's cut): the status bytes written here by their bits. */
const reply = (weight: string | undefined, ...status: number[]) => `\n${weight === undefined ? '' : `${weight}\r\n`}${String.fromCharCode(...status)}`;

/**
 * Adam Equipment MDW-L user manual (Rev C5, January 2012), § 8.5.3 « Commands and response », p. 13: `W<CR>`
 * answers `<LF><p>w1…w7<dp>u1u2<CR><LF>H1H2H3<CR><ETX>`, nine `^` over capacity, nine `_` under, dashes for a
 * zero-point error; `S`, `Z`, `T` answer `<LF>H1H2H3<CR><ETX>`. Status bits: Ohaus Aviator 7000 service
 * manual, p. 49 (byte 1: motion, at zero, RAM error, EEPROM error; byte 2: under, over capacity, ROM error,
 * faulty calibration; byte 3: range, net, initial zero error; bits 4 and 5 always 1; bit 6 « byte follows »).
 */
const GOLDEN: Array<[string, string, NciReply]> = [
  ['stable gross', reply('    12.34kg', 0x30, 0x70, 0x30), reading(mass(12.34))],
  ['in motion (byte 1 b0)', reply('    12.34kg', 0x31, 0x70, 0x30), reading(mass(12.34, false))],
  ['net (byte 3 b2)', reply('     2.50kg', 0x30, 0x70, 0x34), reading(mass(2.5, true, true))],
  ['negative, in pounds', reply('-   27.50lb', 0x30, 0x70, 0x30), reading(mass(-12.4738))], // kept to the scale's resolution
  ['two status bytes only', reply('     1.00kg', 0x30, 0x30), reading(mass(1))],
  ['over capacity (byte 2 b1), nine ^', reply('^^^^^^^^^kg', 0x30, 0x72, 0x30), reading({ kind: 'overload' })],
  ['under capacity (byte 2 b0), nine _', reply('_________kg', 0x30, 0x71, 0x30), reading({ kind: 'underload' })],
  ['a zero-point error, dashes', reply('---------kg', 0x30, 0x70, 0x30), reading({ kind: 'not-mass', reason: 'zero-point error (dashes)' })],
  ['the status alone (S, Z, T)', reply(undefined, 0x32, 0x70, 0x30), { kind: 'status' }],
];

describe('parseNciReply: golden replies', () => {
  it.each(GOLDEN)('%s', (_name, frame, expected) => {
    expect(parseNciReply(frame)).toEqual({ ok: true, reply: expected });
    // Noise before the reply: it is the last two lines.
    expect(parseNciReply(`\x00#\r${frame}`)).toEqual({ ok: true, reply: expected });
  });

  it.each<[string, number[], RegExp]>([
    ['RAM error (byte 1 b2)', [0x34, 0x70, 0x30], /the scale reports a fault: RAM error/],
    ['EEPROM error (byte 1 b3)', [0x38, 0x70, 0x30], /EEPROM error/],
    ['ROM error (byte 2 b2)', [0x30, 0x74, 0x30], /ROM error/],
    ['faulty calibration (byte 2 b3)', [0x30, 0x78, 0x30], /faulty calibration/],
    ['initial zero error (byte 3 b3)', [0x30, 0x70, 0x38], /initial zero error/],
  ])('a %s is a device error, never a weight', (_name, status, reason) => {
    const r = parseNciReply(reply('     0.00kg', ...status));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });

  it.each<[string, string, RegExp]>([
    ['status bytes without bits 4 and 5', reply('    12.34kg', 0x00, 0x40, 0x00), /without bits 4 and 5/],
    ['a chain that lies about its length', reply('    12.34kg', 0x30, 0x30, 0x30), /says it is the last, and 3 came/],
    ['the unrecognised-command reply', '\n?', /1 status bytes/],
    ['a weight line that is not one', reply('   12,34 kg', 0x30, 0x70, 0x30), /is not a weight and a unit/],
  ])('refuses %s', (_name, frame, reason) => {
    const r = parseNciReply(frame);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });
});

describe('NciDriver against its twin', () => {
  it('polls W, reads moving then stable, tares (net after), reports a fault and reads again', async () => {
    const twin = new SimulatedNciScale({ rng: seededRandom(9), settleMs: [60, 120] });
    const { driver, seen, readings } = drivenByTwin((t) => new NciDriver(t, { pollMs: 20, replyTimeoutMs: 200 }), twin);
    twin.load(12.34);
    await expect.poll(() => readings().at(-1), { timeout: 5_000 }).toEqual(mass(12.34));
    expect(readings().some((r) => r.kind === 'mass' && !r.stable)).toBe(true);
    driver.command('tare');
    await expect.poll(() => readings().at(-1), { timeout: 5_000 }).toEqual(mass(0, true, true));
    expect(twin.received).toContain('T');
    const before = readings().length;
    twin.fault = 'calibration';
    await expect.poll(() => seen.errors.map((e) => e.reason), { timeout: 5_000 }).toContain('la balance signale une panne / the scale reports a fault: faulty calibration');
    const during = readings().length;
    twin.fault = undefined;
    await expect.poll(() => readings().length, { timeout: 5_000 }).toBeGreaterThan(during);
    expect(during - before).toBeLessThanOrEqual(1); // at most the reply already on its way
    await driver.stop();
  });
});
