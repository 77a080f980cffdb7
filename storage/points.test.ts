import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { weighingAt } from '../tests/helpers/events.js';
import { weighingPoint, weighingTimestampNs } from './points.js';

describe('InfluxDB points', () => {
  it('makes the timestamp from capture time and sequence so a resend overwrites itself', () => {
    expect(weighingTimestampNs('2026-03-29T21:30:00.000Z', 7)).toBe('1774819800000000007');
    const w = weighingAt(DateTime.fromISO('2026-03-29T21:30:00.000Z'), 12.34, 'textile', { seq: 7 });
    const a = weighingPoint({ site: 's', agent: 'a', device: 'd' }, w);
    const b = weighingPoint({ site: 's', agent: 'a', device: 'd' }, w);
    expect(a).toEqual(b);
    expect(a.timestamp).toBe('1774819800000000007');
    expect(a.tags).toMatchObject({ category: 'textile', collect_type: 'apport-volontaire', entry: 'normal', direction: 'in' });
    expect(a.tags).not.toHaveProperty('event_id');
    expect(a.fields).toMatchObject({ event_id: w.id, net_kg: 12.34 });
  });
});
