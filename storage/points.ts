import type { IPoint } from 'influx';
import type { Bon, DeadLetter, Visits, Weighing } from '../protocol/index.js';

/**
 * How messages become InfluxDB points. A point's identity is measurement + tags + timestamp, so the
 * timestamp is the capture time in ms plus a number drawn from the event id in the sub-millisecond
 * digits: a resent event lands on exactly the same point and overwrites itself.
 */
export const MEASUREMENT = { weighing: 'weighing', visits: 'visits', bon: 'bons', deadLetter: 'dead_letters' } as const;

export interface Origin {
  site: string;
  agent: string;
  device: string;
}

/**
 * A weighing's or a bon's timestamp. The sub-millisecond digits come from the event id, not from the
 * agent's `seq`: one event id is one point, whatever another copy of it says (the same id sent with two
 * seqs made two points, both counted). A void entry takes the id it voids, so it sits on its original's
 * timestamp (its `entry` tag tells them apart) and a second void of the same line cancels nothing more.
 * Two events of one series (same device, category…) captured in the same millisecond collide once in a
 * million: a scale weighs one load at a time.
 */
export function eventTimestampNs(capturedAt: string, id: string): string {
  const ms = BigInt(Date.parse(capturedAt));
  return (ms * 1_000_000n + (BigInt(`0x${id.replaceAll('-', '')}`) % 1_000_000n)).toString();
}

/** How goods came in or where they went, as tags: the same on a weighing and on its bon. */
function whereFromTags(x: Pick<Weighing, 'collectType' | 'destination' | 'district' | 'partner'>): Record<string, string> {
  const tags: Record<string, string> = {};
  if (x.collectType) tags.collect_type = x.collectType;
  if (x.destination) tags.destination = x.destination;
  if (x.district) tags.district = x.district;
  if (x.partner) tags.partner = x.partner;
  return tags;
}

export function weighingPoint(origin: Origin, w: Weighing): IPoint {
  const tags: Record<string, string> = {
    site: origin.site,
    agent: origin.agent,
    device: origin.device,
    direction: w.direction,
    category: w.category,
    entry: w.entry,
    source: w.source,
  };
  Object.assign(tags, whereFromTags(w));
  const fields: Record<string, string | number | boolean> = {
    net_kg: w.netKg,
    event_id: w.id,
    seq: w.seq,
    clock_synced: w.clockSynced,
  };
  if (w.grossKg !== undefined) fields.gross_kg = w.grossKg;
  if (w.tareKg !== undefined) fields.tare_kg = w.tareKg;
  if (w.bonId) fields.bon_id = w.bonId;
  if (w.clockRepaired) fields.clock_repaired = true;
  if (w.container) fields.container = w.container;
  if (w.voids) fields.voids = w.voids;
  if (w.voidedAt) fields.voided_at = w.voidedAt;
  if (w.by) fields.by = w.by;
  return { measurement: MEASUREMENT.weighing, tags, fields, timestamp: eventTimestampNs(w.capturedAt, w.voids ?? w.id) };
}

export function visitsPoint(origin: Origin, v: Visits): IPoint {
  return {
    measurement: MEASUREMENT.visits,
    tags: { site: origin.site, agent: origin.agent, device: origin.device },
    fields: { in: v.in, out: v.out, bucket_seconds: v.bucketSeconds, event_id: v.id, clock_synced: v.clockSynced, ...(v.clockRepaired ? { clock_repaired: true } : {}) },
    // One bucket per device and start: a resent bucket overwrites itself.
    timestamp: (BigInt(Date.parse(v.bucketStart)) * 1_000_000n).toString(),
  };
}

/** One point per bon, at its opening time (with its id, as weighings): a resend overwrites it. */
export function bonPoint(origin: { site: string; agent: string }, b: Bon): IPoint {
  const tags: Record<string, string> = { site: origin.site, agent: origin.agent, direction: b.direction, state: b.state };
  Object.assign(tags, whereFromTags(b));
  const fields: Record<string, string | number | boolean> = {
    bon_id: b.bonId,
    event_id: b.id,
    lines: b.lines,
    net_kg: b.netKg,
    closed_at: b.closedAt,
    clock_synced: b.clockSynced,
  };
  if (b.comment) fields.comment = b.comment;
  if (b.by) fields.by = b.by;
  if (b.clockRepaired) fields.clock_repaired = true;
  return { measurement: MEASUREMENT.bon, tags, fields, timestamp: eventTimestampNs(b.capturedAt, b.id) };
}

let deadLetterSeq = 0;

/** A refused message, kept for audit. Its own arrival time, with a counter so that a flood keeps every one. */
export function deadLetterPoint(origin: { site: string; agent: string } | undefined, kind: string, letter: DeadLetter): IPoint {
  const tags: Record<string, string> = { kind };
  if (origin) Object.assign(tags, origin);
  const fields: Record<string, string> = { topic: letter.topic, reason: letter.reason, first_bytes: letter.firstBytes };
  if (letter.id) fields.event_id = letter.id;
  deadLetterSeq = (deadLetterSeq + 1) % 1_000_000;
  return { measurement: MEASUREMENT.deadLetter, tags, fields, timestamp: (BigInt(Date.parse(letter.at)) * 1_000_000n + BigInt(deadLetterSeq)).toString() };
}
