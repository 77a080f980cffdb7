import type { Clock } from '../clock.js';

/** A closed bucket: deltas over [bucketStart, bucketStart + bucketSeconds), what a `visits` message carries. */
export interface VisitsBucket {
  bucketStart: string;
  bucketSeconds: number;
  in: number;
  out: number;
}

/** What must survive a restart: the open bucket and where closed buckets end. */
export interface VisitsBucketsState {
  /** The bucket being filled; null when nothing was counted since the last close. */
  open: VisitsBucket | null;
  /** End of the last closed bucket: no bucket may start before it (ISO, null if none closed yet). */
  closedUntil: string | null;
}

/**
 * Accumulates deltas into buckets of `bucketSeconds` aligned on wall-clock time (epoch multiples, so
 * on UTC days when bucketSeconds divides 86 400). A bucket is closed once the clock has passed its end,
 * at the next add() or closeDue().
 *
 * Only non-empty buckets are ever opened, hence emitted: a zero adds nothing to a sum, and a counter
 * would otherwise send 1 440 empty points a day per device through the outbox, MQTT and InfluxDB,
 * mostly at night.
 *
 * A start is emitted at most once: a new bucket never starts before the end of the last closed one, so
 * if the clock steps back, counts go on filling the open bucket (or one starting at that end) until the
 * clock is past it again, rather than reopening a start already emitted, whose second emission would
 * overwrite the first downstream with a smaller count. The one exception is a restart resuming the
 * persisted open bucket (state from before its close was saved): it is emitted again with its full
 * count and overwrites itself downstream.
 */
export class VisitsBuckets {
  private readonly bucketMs: number;
  private open: { startMs: number; bucketSeconds: number; in: number; out: number } | undefined;
  private closedUntilMs: number;

  constructor(
    readonly bucketSeconds: number,
    private readonly clock: Pick<Clock, 'now'>,
    resume?: VisitsBucketsState,
  ) {
    if (!Number.isInteger(bucketSeconds) || bucketSeconds <= 0) throw new RangeError(`bucketSeconds must be a positive integer, not ${bucketSeconds}`);
    this.bucketMs = bucketSeconds * 1000;
    this.closedUntilMs = resume?.closedUntil ? Date.parse(resume.closedUntil) : -Infinity;
    const o = resume?.open;
    // Only counted buckets are ever open; an empty one (a hand-edited file) would close without a trace.
    if (o && o.in + o.out > 0) this.open = { startMs: Date.parse(o.bucketStart), bucketSeconds: o.bucketSeconds, in: o.in, out: o.out };
  }

  /** Adds deltas counted now; returns the buckets this closed (before the deltas were added). */
  add(deltaIn: number, deltaOut: number): VisitsBucket[] {
    const now = this.clock.now();
    const closed = this.closeDue(now);
    if (deltaIn === 0 && deltaOut === 0) return closed;
    if (!this.open) {
      const aligned = Math.floor(now / this.bucketMs) * this.bucketMs;
      this.open = { startMs: Math.max(aligned, this.closedUntilMs), bucketSeconds: this.bucketSeconds, in: 0, out: 0 };
    }
    this.open.in += deltaIn;
    this.open.out += deltaOut;
    return closed;
  }

  /**
   * Adds deltas to the open bucket even if its period is over (then closes it if due, and returns it):
   * after a restart, what was counted since the persisted raw values belongs to the resumed bucket.
   * Without an open bucket, the same as add().
   */
  addToOpen(deltaIn: number, deltaOut: number): VisitsBucket[] {
    if (!this.open) return this.add(deltaIn, deltaOut);
    this.open.in += deltaIn;
    this.open.out += deltaOut;
    return this.closeDue();
  }

  /** Closes the open bucket if the clock is past its end; returns it (at most one: only one is open). */
  closeDue(now = this.clock.now()): VisitsBucket[] {
    const o = this.open;
    if (!o || now < o.startMs + o.bucketSeconds * 1000) return [];
    this.open = undefined;
    this.closedUntilMs = o.startMs + o.bucketSeconds * 1000;
    return o.in + o.out > 0 ? [toBucket(o)] : [];
  }

  /** The open bucket, for the state file and live views. */
  get openBucket(): VisitsBucket | null {
    return this.open ? toBucket(this.open) : null;
  }

  snapshot(): VisitsBucketsState {
    return {
      open: this.openBucket,
      closedUntil: Number.isFinite(this.closedUntilMs) ? new Date(this.closedUntilMs).toISOString() : null,
    };
  }
}

function toBucket(o: { startMs: number; bucketSeconds: number; in: number; out: number }): VisitsBucket {
  return { bucketStart: new Date(o.startMs).toISOString(), bucketSeconds: o.bucketSeconds, in: o.in, out: o.out };
}
