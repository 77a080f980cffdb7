import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { weighingAt } from '../tests/helpers/events.js';
import { eventTimestampNs, weighingPoint } from './points.js';

describe('InfluxDB points', () => {
  it('makes the timestamp from capture time and event id so a resend overwrites itself', () => {
    // The id's 128-bit value modulo a million fills the sub-millisecond digits.
    expect(eventTimestampNs('2026-03-29T21:30:00.000Z', '00000000-0000-4000-8000-000000123456')).toBe('1774819800000645398');
    const w = weighingAt(DateTime.fromISO('2026-03-29T21:30:00.000Z'), 12.34, 'textile', { seq: 7 });
    const a = weighingPoint({ site: 's', agent: 'a', device: 'd' }, w);
    const b = weighingPoint({ site: 's', agent: 'a', device: 'd' }, w);
    expect(a).toEqual(b);
    expect(a.timestamp).toBe(eventTimestampNs(w.capturedAt, w.id));
    expect(a.tags).toMatchObject({ category: 'textile', collect_type: 'apport-volontaire', entry: 'normal', direction: 'in' });
    expect(a.tags).not.toHaveProperty('event_id');
    expect(a.fields).toMatchObject({ event_id: w.id, net_kg: 12.34 });
  });

  it('gives one event id one point whatever its seq, and a void its original’s timestamp', () => {
    const origin = { site: 's', agent: 'a', device: 'd' };
    const w = weighingAt(DateTime.fromISO('2026-03-29T21:30:00.000Z'), 3, 'textile', { seq: 1 });
    const forged = weighingPoint(origin, { ...w, seq: 2, netKg: 200 });
    expect(forged.timestamp).toBe(weighingPoint(origin, w).timestamp);
    const cancel = weighingAt(DateTime.fromISO(w.capturedAt), -3, 'textile', { entry: 'void', voids: w.id, voidedAt: '2026-03-29T21:31:00.000Z' });
    const voided = weighingPoint(origin, cancel);
    expect(voided.timestamp).toBe(weighingPoint(origin, w).timestamp);
    expect(voided.tags).toMatchObject({ entry: 'void' });
  });
});
