import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { WeighingEvent } from '../../api/types.js';
import { PendingWeighings } from '../src/pending-weighings.js';
import { weighingAt } from '../../../tests/helpers/events.js';

const zones: Record<string, string> = { lilas: 'Europe/Paris', 'saint-denis': 'Indian/Reunion' };
const zoneOf = (site: string) => zones[site]!;

/** A weighing as the live stream brings it, at a local wall-clock time of its site. */
function streamed(site: string, localTime: string, netKg: number, category: string): WeighingEvent {
  return { site, agent: 'comptoir', device: 'balance', ...weighingAt(DateTime.fromISO(localTime, { zone: zoneOf(site) }), netKg, category) };
}

describe('weighings streamed but not stored yet, in a network across time zones', () => {
  // 23:00 in Paris on 4 June 2026 is already 01:00 on 5 June in Saint-Denis (UTC+4).
  const now = DateTime.fromISO('2026-06-04T23:00', { zone: 'Europe/Paris' }).toJSDate();
  const lateParis = streamed('lilas', '2026-06-04T22:58', 2, 'textile');
  const earlyReunion = streamed('saint-denis', '2026-06-05T00:59', 3, 'livres');
  // Streamed before Saint-Denis' midnight: its yesterday, though still today in Paris.
  const lateReunion = streamed('saint-denis', '2026-06-04T23:50', 1, 'jouets');
  const pending = new PendingWeighings();
  for (const w of [lateReunion, lateParis, earlyReunion]) pending.add(w, []);

  it("adds each weighing to its own site's local day", () => {
    const days = pending.byDay(zoneOf);
    expect([...days.keys()].sort()).toEqual(['2026-06-04', '2026-06-05']);
    expect(Object.fromEntries(days.get('2026-06-04')!)).toEqual({ jouets: 1, textile: 2 });
    expect(Object.fromEntries(days.get('2026-06-05')!)).toEqual({ livres: 3 });
  });

  it("lists the weighings of each site's own today with their site, newest first", () => {
    expect(pending.latest([], zoneOf, 10, now).map((w) => [w.id, w.site, w.netKg])).toEqual([
      [earlyReunion.id, 'saint-denis', 3],
      [lateParis.id, 'lilas', 2],
    ]);
  });
});
