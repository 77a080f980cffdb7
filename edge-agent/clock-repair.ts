import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../runtime/durable-file.js';
import type { Clock } from './clock.js';

/** The kernel's id of this boot: a monotonic time means something only within it. */
export function currentBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return `process-${process.pid}-${Date.now()}`; // no /proc: monotonic times valid for this process only
  }
}

/** CLOCK_MONOTONIC in ms: the same for every process of one boot, unmoved by NTP steps. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}

const syncRecordSchema = z.object({ boot: z.string(), wallAtMonoZeroMs: z.number() });

interface Stamped {
  capturedAt?: string;
  /** A bon's close, which moves with its (repaired) opening. */
  closedAt?: string;
  bucketStart?: string;
  clockRef?: { boot: string; monoMs: number };
}

/**
 * Repairs the times of events captured before the clock was synchronised. At the first sync of a boot it
 * records, durably, the wall time of the monotonic clock's origin; every repair then derives from that one
 * figure, so all resends of an event carry the same timestamp (a repaired event still overwrites itself).
 * Events from an earlier boot that never synchronised cannot be repaired: they go as they are, marked
 * unsynchronised, and ingest refuses them if their time is impossible (they end in the dead-letter file).
 */
export class ClockRepair {
  private origin: { boot: string; wallAtMonoZeroMs: number } | undefined;
  readonly boot = currentBootId();

  private constructor(private readonly path: string) {}

  static async open(dataDir: string): Promise<ClockRepair> {
    const repair = new ClockRepair(join(dataDir, 'clock-sync.json'));
    try {
      const record = syncRecordSchema.parse(JSON.parse(await readFile(repair.path, 'utf8')));
      if (record.boot === repair.boot) repair.origin = record;
    } catch {
      // No record for this boot yet: it is written at the first synchronised moment.
    }
    return repair;
  }

  /** What to stamp on an event captured at `atMs` on the (maybe wrong) wall clock, a moment ago at most. */
  stamp(clock: Clock, atMs: number): { clockSynced: boolean; clockRef?: { boot: string; monoMs: number } } {
    if (clock.synced()) return { clockSynced: true };
    return { clockSynced: false, clockRef: { boot: this.boot, monoMs: Math.max(0, monotonicMs() - (clock.now() - atMs)) } };
  }

  /** Call while the clock is synchronised: records this boot's origin once. */
  noteSynced(clock: Clock): void {
    if (this.origin || !clock.synced()) return;
    this.origin = { boot: this.boot, wallAtMonoZeroMs: clock.now() - monotonicMs() };
    writeFileAtomic(this.path, `${JSON.stringify(this.origin)}\n`);
  }

  /**
   * The payload to send for a stored one: unchanged if it was captured synchronised; repaired if it can
   * be; `undefined` (hold it) while this boot's clock is still unsynchronised.
   */
  prepare(payload: string): string | undefined {
    if (!payload.includes('"clockRef"')) return payload;
    const event = JSON.parse(payload) as Stamped;
    const ref = event.clockRef;
    if (!ref || event.capturedAt === undefined && event.bucketStart === undefined) return payload;
    if (ref.boot !== this.boot) return payload; // an earlier boot: cannot be repaired
    if (!this.origin) return undefined; // this boot, clock not synchronised yet: hold
    const repairedMs = Math.round(this.origin.wallAtMonoZeroMs + ref.monoMs);
    const repaired = new Date(repairedMs).toISOString();
    if (event.capturedAt === undefined) return JSON.stringify({ ...event, bucketStart: repaired, clockRepaired: true });
    const shift = (at: string | undefined) => at && new Date(Date.parse(at) + repairedMs - Date.parse(event.capturedAt!)).toISOString();
    return JSON.stringify({ ...event, capturedAt: repaired, ...(event.closedAt ? { closedAt: shift(event.closedAt) } : {}), clockRepaired: true });
  }
}
