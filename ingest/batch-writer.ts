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
  maxBufferedPoints: number;
  /**
   * Writes a batch; a rejection keeps it for a retry. It may resolve with points that are stored but not
   * complete (their rollup ran short): the batch is done, but they get no receipt, so their agents resend
   * them later, rather than the whole ingest retrying what will fail again.
   */
  write(points: IPoint[]): Promise<ReadonlySet<IPoint> | void>;
  onWritten(keys: K[]): void;
  log: Logger;
}

const MIN_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 10_000;

/**
 * Groups points into batches written by size or by age, one write at a time. A failed write keeps its
 * batch and retries with backoff; while the buffer is full, offers are refused so memory stays bounded
 * (the agents keep what has no receipt and resend it).
 */
export class BatchWriter<K> {
  private buffer: PendingPoint<K>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerImmediate = false;
  private writing = false;
  private backoffMs = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  readonly stats = { written: 0, writeErrors: 0, refused: 0, withheld: 0 };

  constructor(private readonly opts: BatchWriterOptions<K>) {}

  get buffered(): number {
    return this.buffer.length;
  }

  /** Returns false when the buffer is full: the caller must not consider the point accepted. */
  offer(entry: PendingPoint<K>): boolean {
    if (this.stopped || this.buffer.length >= this.opts.maxBufferedPoints) {
      this.stats.refused++;
      return false;
    }
    this.buffer.push(entry);
    this.schedule();
    return true;
  }

  private schedule(): void {
    if (this.writing) return;
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
    if (this.writing || this.buffer.length === 0) return this.notifyIdle();
    this.writing = true;
    const batch = this.buffer.slice(0, this.opts.maxPoints);
    try {
      const incomplete = await this.opts.write(batch.map((e) => e.point));
      this.buffer.splice(0, batch.length);
      this.stats.written += batch.length;
      if (this.backoffMs) this.opts.log.info({ points: batch.length }, 'InfluxDB writes resumed');
      this.backoffMs = 0;
      const done = incomplete ? batch.filter((e) => !incomplete.has(e.point)) : batch;
      this.stats.withheld += batch.length - done.length;
      this.opts.onWritten(done.map((e) => e.key));
    } catch (err) {
      this.stats.writeErrors++;
      this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, this.backoffMs * 2));
      this.opts.log.warn({ err: (err as Error).message, retryInMs: this.backoffMs, buffered: this.buffer.length }, 'InfluxDB write failed; will retry');
    } finally {
      this.writing = false;
    }
    if (this.buffer.length && !this.stopped) this.schedule();
    else this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.buffer.length && !this.stopped) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Writes what is buffered (one last attempt) and stops taking points. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.writing) await this.flush();
    this.stopped = true;
    if (this.writing) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }
}
