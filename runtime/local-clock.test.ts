import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { localClock } from './local-clock.js';

describe('localClock', () => {
  // Paris and New York change on different days; Lord Howe by half an hour; Chatham keeps 45 minutes.
  it.each(['Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Pacific/Chatham', 'UTC'])('gives luxon\'s local date and hour for every half hour of 2024 and 2025 in %s', (zone) => {
    const local = localClock(zone);
    const wrong: string[] = [];
    for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2026, 0, 1); t += 30 * 60_000) {
      const want = DateTime.fromMillis(t, { zone });
      const got = local(t);
      if (got.date !== want.toISODate() || got.hour !== want.hour) wrong.push(`${new Date(t).toISOString()}: ${got.date} ${got.hour} h, luxon ${want.toISODate()} ${want.hour} h`);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('puts the hours around a change where they belong: Paris, 31 March 2024 (02:00 → 03:00) and 27 October 2024 (03:00 → 02:00)', () => {
    const local = localClock('Europe/Paris');
    expect(local(Date.parse('2024-03-31T00:30:00Z'))).toEqual({ date: '2024-03-31', hour: 1 });
    expect(local(Date.parse('2024-03-31T01:30:00Z'))).toEqual({ date: '2024-03-31', hour: 3 });
    expect(local(Date.parse('2024-10-27T00:30:00Z'))).toEqual({ date: '2024-10-27', hour: 2 });
    expect(local(Date.parse('2024-10-27T01:30:00Z'))).toEqual({ date: '2024-10-27', hour: 2 });
    expect(local(Date.parse('2024-10-27T22:59:59Z'))).toEqual({ date: '2024-10-27', hour: 23 });
    expect(local(Date.parse('2024-10-27T23:00:00Z'))).toEqual({ date: '2024-10-28', hour: 0 });
  });
});
