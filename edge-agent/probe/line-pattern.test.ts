import { describe, expect, it } from 'vitest';
import { lineConfigSchema } from '../drivers/line/config.js';
import { lineParser } from '../drivers/line/parser.js';
import type { ScaleReading } from '../drivers/scale.js';
import { inferLinePattern } from './line-pattern.js';

/** A load put on the pan: moving weights, then the same weight again and again. */
function capture(line: (kg: string, stable: boolean) => string, end = '\r\n'): Buffer {
  const moving = ['3.20', '9.85', '12.10', '12.31'];
  const lines = ['(cut start', ...moving.map((kg) => line(kg, false)), ...Array(8).fill(line('12.34', true)), ...moving.map((kg) => line(kg, false)), '(cut end'];
  return Buffer.from(lines.join(end), 'latin1');
}

const readAll = (bytes: Buffer, config: ReturnType<typeof inferLinePattern>) => {
  const read = lineParser(lineConfigSchema.parse(config!.line));
  return bytes
    .toString('latin1')
    .split(config!.line.end)
    .slice(1, -1)
    .map((l) => read(l))
    .map((r) => (r.ok ? r.reading : undefined));
};
const mass = (kg: number, stable: boolean): ScaleReading => ({ kind: 'mass', kg, stable, net: false });

describe('inferLinePattern: a pattern for lines no driver knows', () => {
  it('finds a status letter after the weight, and takes the one on repeated weights for stable', () => {
    const bytes = capture((kg, stable) => `WT:${kg.padStart(8)}kg ${stable ? 'S' : 'U'}`);
    const p = inferLinePattern(bytes)!;
    expect(p.line.stable).toEqual({ part: 'mark', equals: ['S'] });
    expect(p.marks.find((m) => m.value === 'S')!.repeated).toBeGreaterThan(0.8);
    expect(p.matched).toBe(p.lines);
    const readings = readAll(bytes, p);
    expect(readings[0]).toEqual(mass(3.2, false));
    expect(readings[5]).toEqual(mass(12.34, true));
  });

  it('reads a `?` beside a blank as « moving », the way Ohaus, Radwag and KERN print it', () => {
    const bytes = capture((kg, stable) => `${kg.padStart(11)} kg ${stable ? ' ' : '?'}`);
    const p = inferLinePattern(bytes)!;
    expect(p.line.moving).toEqual({ part: 'mark', equals: ['?'] });
    expect(p.line.stable).toBeUndefined();
    expect(readAll(bytes, p).slice(3, 6)).toEqual([mass(12.31, false), mass(12.34, true), mass(12.34, true)]);
  });

  it('finds a status word before the weight, with constant text around it', () => {
    const bytes = capture((kg, stable) => `${stable ? 'ST' : 'US'},GS,+${kg.padStart(8, '0')} kg`, '\n');
    const p = inferLinePattern(bytes)!;
    expect(p.line).toMatchObject({ end: '\n', stable: { part: 'mark', equals: ['ST'] } });
    expect(readAll(bytes, p)[4]).toEqual(mass(12.34, true));
  });

  it('proposes nothing when no marker says stable, or when the lines hold no weight', () => {
    expect(inferLinePattern(capture((kg) => `   ${kg} kg`))).toBeUndefined();
    expect(inferLinePattern(Buffer.from('hello\r\nworld\r\nfoo\r\nbar\r\nbaz\r\nqux\r\n'))).toBeUndefined();
    expect(inferLinePattern(Buffer.from('\r\n12.3 kg S\r\n'))).toBeUndefined(); // too few lines
  });
});
