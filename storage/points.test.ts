import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decode } from '../protocol/index.js';
import { weighingPoint, weighingTimestampNs } from './points.js';

const weighing = (over: Record<string, unknown> = {}) => ({
  v: 1,
  id: randomUUID(),
  seq: 7,
  capturedAt: '2026-03-29T21:30:00.000Z',
  clockSynced: true,
  netKg: 12.34,
  direction: 'in',
  category: 'textile',
  collectType: 'apport-volontaire',
  source: 'auto',
  ...over,
});

describe('InfluxDB points', () => {
  it('makes the timestamp from capture time and sequence so a resend overwrites itself', () => {
    expect(weighingTimestampNs('2026-03-29T21:30:00.000Z', 7)).toBe('1774819800000000007');
    const w = decode('weighing', JSON.stringify(weighing()));
    if (!w.ok) throw new Error(w.reason);
    const a = weighingPoint({ site: 's', agent: 'a', device: 'd' }, w.value);
    const b = weighingPoint({ site: 's', agent: 'a', device: 'd' }, w.value);
    expect(a).toEqual(b);
    expect(a.tags).toMatchObject({ category: 'textile', collect_type: 'apport-volontaire', entry: 'normal', direction: 'in' });
    expect(a.tags).not.toHaveProperty('event_id');
    expect(a.fields).toMatchObject({ event_id: w.value.id, net_kg: 12.34 });
  });
});
