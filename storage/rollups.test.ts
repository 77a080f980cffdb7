import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { visitsAt, weighingAt } from '../tests/helpers/events.js';
import { visitsPoint, weighingPoint } from './points.js';
import { mergeSpans, ROLLUPS, rollupSpansFor } from './rollups.js';

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

describe('mergeSpans', () => {
  const spansOf = (...times: string[]) => rollupSpansFor(times.map((t) => weighingPoint(device, weighingAt(at(t), 1, 'textile'))), () => ZONE).filter((s) => s.rollup === ROLLUPS.weighingsByCategory);
  const shape = (spans: ReturnType<typeof mergeSpans>) => spans.map((s) => ({ start: s.start.toISODate(), end: s.end.toISODate(), buckets: [...s.buckets!].sort().map((b) => DateTime.fromMillis(b, { zone: ZONE }).toISODate()) }));

  it('joins the days of several settles into runs of consecutive days, one span each', () => {
    const merged = mergeSpans([...spansOf('2025-03-10T09:00', '2025-03-11T10:00'), ...spansOf('2025-03-12T09:00'), ...spansOf('2025-03-20T09:00', '2025-03-11T12:00')]);
    expect(shape(merged)).toEqual([
      { start: '2025-03-10', end: '2025-03-13', buckets: ['2025-03-10', '2025-03-11', '2025-03-12'] },
      { start: '2025-03-20', end: '2025-03-21', buckets: ['2025-03-20'] },
    ]);
  });

  it('keeps a 23-hour day and the next one in one run, and keeps sites and rollups apart', () => {
    const other = rollupSpansFor([weighingPoint({ ...device, site: 'tilleuls' }, weighingAt(at('2025-03-31T09:00'), 1, 'textile'))], () => ZONE);
    const merged = mergeSpans([...spansOf('2025-03-30T23:30'), ...spansOf('2025-03-31T09:00'), ...other]);
    const lilas = merged.filter((s) => s.site === 'lilas' && s.rollup === ROLLUPS.weighingsByCategory);
    expect(shape(lilas)).toEqual([{ start: '2025-03-30', end: '2025-04-01', buckets: ['2025-03-30', '2025-03-31'] }]);
    expect(merged.filter((s) => s.site === 'tilleuls')).toHaveLength(other.length);
  });
});
