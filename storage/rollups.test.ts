import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { visitsAt, weighingAt } from '../tests/helpers/events.js';
import { visitsPoint, weighingPoint } from './points.js';
import { ROLLUPS, rollupSpansFor } from './rollups.js';

const ZONE = 'Europe/Paris';
const at = (iso: string) => DateTime.fromISO(iso, { zone: ZONE });
const device = { site: 'lilas', agent: 'comptoir', device: 'balance' };
const ms = (iso: string) => at(iso).toMillis();

describe('rollupSpansFor', () => {
  it('reads the whole days from the first point to the last, and writes only the days holding one', () => {
    const points = ['2025-03-10T09:00', '2025-03-14T18:59', '2025-03-10T17:30'].map((t) => weighingPoint(device, weighingAt(at(t), 1, 'textile')));
    const [span] = rollupSpansFor(points, () => ZONE).filter((s) => s.rollup === ROLLUPS.weighingsByCategory);
    expect(span!.start.toISO()).toBe(at('2025-03-10T00:00').toISO());
    expect(span!.end.toISO()).toBe(at('2025-03-15T00:00').toISO());
    expect([...span!.buckets!].sort()).toEqual([ms('2025-03-10T00:00'), ms('2025-03-14T00:00')]);
  });

  it('puts a point on the local day it happened, on the day clocks go forward', () => {
    // 30 March 2025 in Paris has 23 hours: 01:30 (UTC+1) and 03:30 (UTC+2) are the same local day; 23:30 too.
    const points = ['2025-03-30T01:30', '2025-03-30T03:30', '2025-03-30T23:30'].map((t) => weighingPoint(device, weighingAt(at(t), 1, 'textile')));
    const [span] = rollupSpansFor(points, () => ZONE).filter((s) => s.rollup === ROLLUPS.weighingsByCategory);
    expect([...span!.buckets!]).toEqual([ms('2025-03-30T00:00')]);
    expect(span!.end.toISO()).toBe(at('2025-03-31T00:00').toISO());
  });

  it('buckets door counts by local hour, leaving out the hours with no count', () => {
    const visits = (t: string) => visitsPoint({ site: 'lilas', agent: 'porte', device: 'compteur' }, visitsAt(at(t), 2, 1));
    const [span] = rollupSpansFor([visits('2025-03-30T01:55'), visits('2025-03-30T04:10'), visits('2025-03-30T04:20')], () => ZONE);
    expect(span!.rollup).toBe(ROLLUPS.visits);
    expect([...span!.buckets!].sort()).toEqual([ms('2025-03-30T01:00'), ms('2025-03-30T04:00')]);
    expect(span!.end.toISO()).toBe(at('2025-03-30T05:00').toISO());
  });
});
