import type { IPoint } from 'influx';
import type { Logger } from '../runtime/log.js';

export interface PendingPoint<K> {
  point: IPoint;
  /** What to acknowledge once the point is stored (the receipt's addressee and event id). */
  key: K;
}

export interface BatchWriterOptions<K> {
  maxPoints: number;
  maxWaitMs: number;
  /** Points held at once, written or not, until their receipts: beyond, offers are refused. */
  maxBufferedPoints: number;
  /** Writes a batch of raw points; a rejection keeps it for a retry with backoff. */
  write(points: IPoint[]): Promise<void>;
  /**
   * What follows the raw writes before any receipt (the rollups), run once per burst over the batches
   * written in it: a burst on the same days is summed once, not once per batch. Each of its points' raw
   * write was acknowledged before it began. A rejection retries it, with backoff, over the same points;
   * writes wait meanwhile. It may resolve with points stored but not complete (their
   * rollup ran short): they get no receipt, so their agents resend them later, rather than the whole
   * ingest retrying what will fail again. Without it, a write is done at its acknowledgement.
   */
  settle?(points: IPoint[]): Promise<ReadonlySet<IPoint> | void>;
  onWritten(keys: K[]): void;
  log: Logger;
}

/** Batches written back to back before their settle: a burst's days summed once, receipts at most this late. */
const BURST_BATCHES = 10;
const MIN_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 10_000;
const nextBackoff = (ms: number) => Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, ms * 2));

/**
 * Groups points into batches written by size or by age, one write at a time, then settles what was written
 * (the rollups) once per burst: full batches waiting are written back to back (up to BURST_BATCHES), then
 * one settle covers them all. Writes and settles never overlap: a settle running beside raw writes to the
 * same days finds its rows changed under it and must read them again (storage/rollup-sync.ts), which cost
 * InfluxDB more than it saved. A failed write or settle keeps its points and retries with backoff; while
 * the points held reach their bound, offers are refused so memory stays bounded (the agents keep what has
 * no receipt and resend it).
 */
export class BatchWriter<K> {
  private buffer: PendingPoint<K>[] = [];
  /** Raw points InfluxDB acknowledged, awaiting the settle that lets their receipts go. */
  private written: PendingPoint<K>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerImmediate = false;
  private writing = false;
  private backoffMs = 0;
  /** The points of the settle running now (none: no settle runs), held until it ends, so counted against the bound. */
  private inSettle: PendingPoint<K>[] = [];
  private settleTimer: NodeJS.Timeout | undefined;
  private settleBackoffMs = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  readonly stats = { written: 0, writeErrors: 0, settleErrors: 0, settles: 0, refused: 0, withheld: 0 };

  constructor(private readonly opts: BatchWriterOptions<K>) {}

  /** Points held: not written yet, or written and awaiting their settle. */
  get buffered(): number {
    return this.buffer.length + this.written.length + this.inSettle.length;
  }

  /** A settle never starts without points. */
  private get settling(): boolean {
    return this.inSettle.length > 0;
  }

  /** Returns false when the buffer is full: the caller must not consider the point accepted. */
  offer(entry: PendingPoint<K>): boolean {
    if (this.stopped || this.buffered >= this.opts.maxBufferedPoints) {
      this.stats.refused++;
      return false;
    }
    this.buffer.push(entry);
    this.schedule();
    return true;
  }

  /** A settle running or waiting for its retry: writes wait for it. */
  private get settlePending(): boolean {
    return this.settling || this.settleTimer !== undefined;
  }

  private schedule(): void {
    if (this.writing || this.settlePending) return;
    const full = this.buffer.length >= this.opts.maxPoints;
    // A batch that fills up while waiting for its age limit goes now, unless InfluxDB is being waited for.
    if (this.timer && !(full && !this.backoffMs && !this.timerImmediate)) return;
    clearTimeout(this.timer);
    const due = full && !this.backoffMs ? 0 : this.backoffMs || this.opts.maxWaitMs;
    this.timerImmediate = due === 0;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, due);
  }

  private async flush(): Promise<void> {
    if (this.writing || this.settlePending || this.buffer.length === 0) return this.notifyIdle();
    this.writing = true;
    const batch = this.buffer.slice(0, this.opts.maxPoints);
    let ok = false;
    try {
      await this.opts.write(batch.map((e) => e.point));
      this.buffer.splice(0, batch.length);
      if (this.backoffMs) this.opts.log.info({ points: batch.length }, 'InfluxDB writes resumed');
      this.backoffMs = 0;
      ok = true;
      if (this.opts.settle) this.written.push(...batch);
      else this.done(batch, undefined);
    } catch (err) {
      this.stats.writeErrors++;
      this.backoffMs = nextBackoff(this.backoffMs);
      this.opts.log.warn({ err: (err as Error).message, retryInMs: this.backoffMs, buffered: this.buffered }, 'InfluxDB write failed; will retry');
    } finally {
      this.writing = false;
    }
    // Another full batch waiting joins this burst; otherwise the burst is settled now.
    const burstGoesOn = this.buffer.length >= this.opts.maxPoints && this.written.length < BURST_BATCHES * this.opts.maxPoints && !this.stopped;
    if (ok && this.written.length && !burstGoesOn) return this.settle();
    if (this.buffer.length && !this.stopped) this.schedule();
    else this.notifyIdle();
  }

  /** Settles every point written so far, once; what gets written meanwhile waits for the next settle. */
  private async settle(): Promise<void> {
    if (this.settling || this.written.length === 0) return this.notifyIdle();
    const group = (this.inSettle = this.written.splice(0));
    try {
      const incomplete = await this.opts.settle!(group.map((e) => e.point));
      this.stats.settles++;
      if (this.settleBackoffMs) this.opts.log.info({ points: group.length }, 'InfluxDB rollups resumed');
      this.settleBackoffMs = 0;
      this.done(group, incomplete || undefined);
    } catch (err) {
      this.written.unshift(...group);
      this.stats.settleErrors++;
      this.settleBackoffMs = nextBackoff(this.settleBackoffMs);
      this.opts.log.warn({ err: (err as Error).message, retryInMs: this.settleBackoffMs, points: this.written.length }, 'rollups failed; the raw points are stored, their receipts wait; will retry');
    } finally {
      this.inSettle = [];
    }
    if (this.written.length && this.settleBackoffMs && !this.stopped) {
      this.settleTimer = setTimeout(() => {
        this.settleTimer = undefined;
        void this.settle();
      }, this.settleBackoffMs);
      return;
    }
    // Settled, or stopped after its one last attempt (the agents resend what got no receipt): the next burst.
    if (this.buffer.length && !this.stopped) this.schedule();
    else this.notifyIdle();
  }

  private done(entries: PendingPoint<K>[], incomplete: ReadonlySet<IPoint> | undefined): void {
    this.stats.written += entries.length;
    const complete = incomplete ? entries.filter((e) => !incomplete.has(e.point)) : entries;
    this.stats.withheld += entries.length - complete.length;
    this.opts.onWritten(complete.map((e) => e.key));
  }

  private notifyIdle(): void {
    if (this.writing || this.settling) return;
    if (!this.stopped && (this.buffer.length || this.written.length)) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Writes and settles what it holds (one last attempt each) and stops taking points. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    this.settleBackoffMs = 0;
    const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    if (!this.writing && !this.settling) {
      this.stopped = true;
      // One last write of what is buffered, settled by the flush with what awaited a settle; with nothing
      // to write, what awaited its settle's retry gets its last attempt here.
      const toWrite = this.buffer.length > 0;
      await this.flush();
      if (!toWrite && this.written.length) await this.settle();
    } else this.stopped = true;
    this.notifyIdle();
    await idle;
  }
}
