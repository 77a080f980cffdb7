import type { Logger } from '../runtime/log.js';
import { ShortRollupError, syncRollups } from '../storage/rollup-sync.js';
import { mergeSpans, type RollupSpan } from '../storage/rollups.js';
import type { InfluxStore } from '../storage/store.js';

interface Due {
  at: number;
  spans: readonly RollupSpan[];
}

/**
 * Syncs the rollups a settle brought up to date once more, `afterMs` later. A settle's checks leave a row
 * to whoever wrote it last (storage/rollup-sync.ts), and that writer checks it in turn; but an instance
 * killed after sending its rollup write and before its check leaves nobody to do it. Its unreceipted
 * events come back through the others, who recompute their buckets, yet that may happen before its last
 * write lands (a loaded InfluxDB), or those events may already have been receipted by another instance
 * (the agent resent them while the killed one was slow). The row it wrote stale is one whose raw points
 * another instance wrote after its read: that instance's second look, once the killed one's write can no
 * longer be in flight, reads the row again with no one else to leave it to and corrects it. A look waits
 * up to half a delay more and takes every settle due by then, their buckets merged, so a busy day is read
 * again about twice per `afterMs`, not once per settle. Its cost is
 * one more read of the raw sums per bucket touched; it runs beside the writes (rollup-sync is written for
 * concurrent writers), and a failure keeps its buckets for the next look.
 */
export class SecondLook {
  private queue: Due[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  readonly stats = { looks: 0, rewritten: 0, errors: 0 };

  constructor(private readonly opts: { store: InfluxStore; afterMs: number; log: Logger }) {}

  /** Buckets a settle just brought up to date: looked at again `afterMs` from now. */
  after(spans: readonly RollupSpan[]): void {
    if (this.stopped || spans.length === 0) return;
    this.queue.push({ at: Date.now() + this.opts.afterMs, spans });
    this.arm();
  }

  private arm(): void {
    if (this.timer || this.running || this.stopped) return;
    if (this.queue.length === 0) return this.notifyIdle();
    // Half a delay more for the settles that follow the first due: one look takes them all when they are due too.
    const wait = Math.max(0, this.queue[0]!.at + this.opts.afterMs / 2 - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run(Date.now());
    }, wait);
  }

  private run(until: number): Promise<void> {
    const due = this.queue.filter((d) => d.at <= until);
    this.queue = this.queue.filter((d) => d.at > until);
    this.running = this.look(due).finally(() => {
      this.running = undefined;
      this.arm();
    });
    return this.running;
  }

  private async look(due: Due[]): Promise<void> {
    const spans = mergeSpans(due.flatMap((d) => d.spans));
    try {
      const { written } = await syncRollups(this.opts.store, spans);
      this.stats.looks++;
      this.stats.rewritten += written;
      // Also while other instances still write the same days (a drained backlog): then this look is one more writer among them.
      if (written) this.opts.log.info({ rows: written, spans: spans.length }, 'rollups found stale on a second look and rewritten: other ingest instances still writing those days, or one died between its write and its check');
    } catch (err) {
      // A sum out of range was reported by the settle, whose points got no receipt: they come back with it.
      if (err instanceof ShortRollupError) return;
      this.stats.errors++;
      // Due again after everything queued so far, so the queue stays in order of due time.
      this.queue.push(...due.map((d) => ({ ...d, at: Date.now() + this.opts.afterMs })));
      this.opts.log.warn({ err: (err as Error).message, retryInMs: this.opts.afterMs }, 'second look at the rollups failed; will retry');
    }
  }

  /** Resolves once nothing is due or running: every settle so far has had its second look. */
  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private notifyIdle(): void {
    if (this.running || this.queue.length) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Looks now at everything still due (one attempt: later nobody would), then takes no more. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    if (this.queue.length) await this.run(Infinity);
    this.queue = [];
    this.notifyIdle();
  }
}
