import type { LatestWeighing, WeighingEvent } from '../../api/types.js';
import { localDate } from './dates.js';

/** A streamed weighing not seen in the stored list after this long is assumed stored and counted by the totals. */
const PENDING_TTL_MS = 5 * 60_000;

/**
 * Weighings seen on the live stream but not yet in a stored result: added on top of the stored figures, so
 * that a load shows within a second, then forgotten once InfluxDB returns it (never counted twice).
 */
export class PendingWeighings {
  private readonly pending = new Map<string, { w: WeighingEvent; receivedAt: number }>();

  /** Takes a streamed weighing; false when it is already known (QoS 1 may deliver twice). */
  add(w: WeighingEvent, stored: readonly LatestWeighing[]): boolean {
    if (w.direction !== 'in' || this.pending.has(w.id) || stored.some((l) => l.id === w.id)) return false;
    this.pending.set(w.id, { w, receivedAt: Date.now() });
    return true;
  }

  /** Forgets the weighings the stored list now holds; true while some are still waiting to be stored. */
  reconcile(stored: readonly LatestWeighing[]): boolean {
    const ids = new Set(stored.map((w) => w.id));
    const now = Date.now();
    for (const [id, p] of this.pending) if (ids.has(id) || now - p.receivedAt > PENDING_TTL_MS) this.pending.delete(id);
    return this.pending.size > 0;
  }

  /** Kilograms by category that pending weighings add to each local day: each on its own site's day, as the reports count a network. */
  byDay(zoneOf: (site: string) => string): Map<string, Map<string, number>> {
    const out = new Map<string, Map<string, number>>();
    for (const { w } of this.pending.values()) {
      const date = localDate(new Date(w.capturedAt), zoneOf(w.site));
      const day = out.get(date) ?? new Map<string, number>();
      day.set(w.category, (day.get(w.category) ?? 0) + w.netKg);
      out.set(date, day);
    }
    return out;
  }

  /** The stored latest weighings with the pending ones of their site's local today (as the server picks them), newest first. */
  latest(stored: readonly LatestWeighing[], zoneOf: (site: string) => string, limit: number, now = new Date()): LatestWeighing[] {
    const rows = new Map(stored.map((w) => [w.id, w]));
    for (const { w } of this.pending.values()) {
      const zone = zoneOf(w.site);
      if (localDate(new Date(w.capturedAt), zone) !== localDate(now, zone) || rows.has(w.id)) continue;
      rows.set(w.id, { id: w.id, capturedAt: w.capturedAt, site: w.site, device: w.device, category: w.category, netKg: w.netKg, entry: w.entry, source: w.source });
    }
    return [...rows.values()].sort((a, b) => Date.parse(b.capturedAt) - Date.parse(a.capturedAt)).slice(0, limit);
  }
}
