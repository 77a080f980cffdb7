import { chmod, mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '../../runtime/log.js';
import type { OutboxEvent } from './pending-events.js';
import {
  ACK_HEADER,
  decodeEvent,
  encodeAck,
  encodeEvent,
  FILE_HEADER_BYTES,
  scanFrames,
  SEGMENT_HEADER,
} from './record-format.js';
import { recoverOutbox, type RecoveryReport } from './recovery.js';
import { newSegment, segmentName, unlinkIfThere, type Entry, type Loc, type Segment } from './segment.js';
import { PRIVATE_DIR, PRIVATE_FILE } from '../../runtime/durable-file.js';

/**
 * The agent's durable outbox (DESIGN.md, "Nothing is lost"): an event is accepted once its record is
 * fsync'd here, and leaves only when a receipt says InfluxDB holds it.
 *
 * Layout of `dir` (framing in record-format.ts):
 *   seg-<seq>-<gen>.log  events in capture order; a new segment when the active one reaches segmentBytes.
 *                        <gen> grows when a segment is compacted, so a compaction never overwrites in place.
 *   seg-<seq>-<gen>.ack  receipts for that segment: record offsets, not ids, so an ack names exactly one
 *                        record and can never hit a later event that reuses an id.
 *   *.tmp                a compaction cut short; removed at open (its source is still there).
 *
 * One process per directory: two writers would interleave frames. It is checked within a process only, as
 * a pid lock file could wrongly block the agent after a power cut (pids are reused across boots).
 */

export interface DurableOutboxOptions {
  /**
   * Bound on the files' total size; an append that would pass it rejects with OutboxFullError. Default 1 GiB.
   * Ack logs count towards it but are never refused (they are what frees room), so they may pass it by
   * their few bytes per receipt until their segment goes.
   */
  maxBytes?: number;
  /** Size at which the active segment is sealed and a new one started. Default 16 MiB. */
  segmentBytes?: number;
  /** Wait this long before a group commit to gather more appends. Default 0: appends arriving during a write+fsync already form the next batch. */
  commitDelayMs?: number;
  /** Receipts are written to the ack logs at most this often (a lost ack only causes a resend). Default 1000 ms. */
  ackFlushMs?: number;
  /** A sealed segment is rewritten without its acknowledged records once they are this fraction of it. Default 0.5. */
  compactRatio?: number;
  /** BENCHMARKS ONLY: `false` skips every fsync, so a crash loses accepted events. Default true. */
  fsync?: boolean;
  log?: Logger;
  /** For tests: called before every fsync, which waits for the returned promise (to hold a commit in flight). */
  beforeSync?: (kind: SyncKind) => void | Promise<void>;
}

export type SyncKind = 'segment' | 'directory' | 'ack';

export interface OutboxStats {
  /** Events accepted (fsync'd) by this instance. */
  appended: number;
  /** Appends refused because the outbox was full. */
  refused: number;
  /** Group commits: one write (and one fdatasync) each. */
  commits: number;
  syncs: Record<SyncKind, number>;
  acked: number;
  segmentsDeleted: number;
  compactions: number;
}

export class OutboxFullError extends Error {
  override readonly name = 'OutboxFullError';

  constructor(
    readonly eventId: string,
    readonly bytes: number,
    readonly maxBytes: number,
    readonly depth: number,
  ) {
    super(
      `outbox full: ${bytes} of ${maxBytes} bytes hold ${depth} unacknowledged events, so event ${eventId} was refused ` +
        `(no older event is dropped to make room; space returns as receipts arrive from ingest)`,
    );
  }
}

interface Waiter {
  event: OutboxEvent;
  frame: Buffer;
  settled?: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
}

const MiB = 1024 * 1024;
const openDirs = new Set<string>();

async function writeAll(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
    done += bytesWritten;
  }
}


export class DurableOutbox {
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly commitDelayMs: number;
  private readonly ackFlushMs: number;
  private readonly compactRatio: number;
  private readonly fsyncEnabled: boolean;
  private readonly log: Logger | undefined;
  private readonly beforeSync: DurableOutboxOptions['beforeSync'];

  /** Unacknowledged events by id, in capture order (a Map keeps insertion order). */
  private entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<void>>();
  private segments: Segment[] = [];
  private active: Segment | undefined;
  private activeFh: FileHandle | undefined;
  private nextSeq = 1;
  private totalBytes = 0;
  private isFull = false;
  private readonly counters: OutboxStats = {
    appended: 0,
    refused: 0,
    commits: 0,
    syncs: { segment: 0, directory: 0, ack: 0 },
    acked: 0,
    segmentsDeleted: 0,
    compactions: 0,
  };

  // Every file operation runs in one loop, so writes, ack flushes, deletions and compactions never interleave.
  private queue: Waiter[] = [];
  /** Acked records whose segment bookkeeping waits for the loop (a compaction may be moving them). */
  private ackedLocs: Loc[] = [];
  private running = false;
  private idle: Promise<void> = Promise.resolve();
  private maintenanceDue = false;
  private ackFlushDue = false;
  private ackTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private closed: Promise<void> | undefined;
  /** What open() found and repaired. */
  private report!: RecoveryReport;

  private constructor(
    readonly dir: string,
    options: DurableOutboxOptions,
  ) {
    this.maxBytes = options.maxBytes ?? 1024 * MiB;
    this.segmentBytes = options.segmentBytes ?? 16 * MiB;
    this.commitDelayMs = options.commitDelayMs ?? 0;
    this.ackFlushMs = options.ackFlushMs ?? 1000;
    this.compactRatio = options.compactRatio ?? 0.5;
    this.fsyncEnabled = options.fsync ?? true;
    this.log = options.log;
    this.beforeSync = options.beforeSync;
    if (!(this.segmentBytes >= 256 && this.segmentBytes <= 1024 * MiB)) throw new RangeError(`segmentBytes must be between 256 and ${1024 * MiB}, not ${this.segmentBytes}`);
    if (!(this.maxBytes >= this.segmentBytes)) throw new RangeError(`maxBytes (${this.maxBytes}) must be at least segmentBytes (${this.segmentBytes})`);
    if (!(this.compactRatio > 0 && this.compactRatio <= 1)) throw new RangeError(`compactRatio must be in (0, 1], not ${this.compactRatio}`);
    if (!(this.commitDelayMs >= 0 && this.ackFlushMs >= 0)) throw new RangeError('commitDelayMs and ackFlushMs must be >= 0');
  }

  /** Opens (creating if needed) the outbox in `dir`, recovering from whatever a crash left there. */
  static async open(dir: string, options: DurableOutboxOptions = {}): Promise<DurableOutbox> {
    const abs = resolve(dir);
    if (openDirs.has(abs)) throw new Error(`outbox ${abs} is already open in this process: two writers would interleave records`);
    const outbox = new DurableOutbox(abs, options);
    openDirs.add(abs);
    try {
      // Private: events carry operators' names and bon comments.
      await mkdir(abs, { recursive: true, mode: PRIVATE_DIR });
      await chmod(abs, PRIVATE_DIR);
      const found = await recoverOutbox(abs, {
        segmentBytes: outbox.segmentBytes,
        sync: (fh, kind) => outbox.sync(fh, kind),
        syncDir: () => outbox.syncDir(),
        ...(outbox.log ? { log: outbox.log } : {}),
      });
      ({ entries: outbox.entries, segments: outbox.segments, nextSeq: outbox.nextSeq, totalBytes: outbox.totalBytes, report: outbox.report } = found);
      outbox.active = found.active?.seg;
      outbox.activeFh = found.active?.fh;
      await outbox.maintain();
    } catch (err) {
      openDirs.delete(abs);
      await outbox.activeFh?.close().catch(() => undefined);
      throw err;
    }
    return outbox;
  }

  /**
   * Resolves once the event's record is fsync'd: only then is it accepted. Appends made while a commit is
   * in flight share the next write and fsync (group commit). Rejects with OutboxFullError when the bound is
   * reached. Appending an id that is already pending (or being appended) writes nothing more.
   */
  append(event: OutboxEvent): Promise<void> {
    if (this.closing) return Promise.reject(new Error(`outbox ${this.dir} is closed`));
    if (this.entries.has(event.id)) return Promise.resolve();
    const flying = this.inflight.get(event.id);
    if (flying) return flying;
    let frame: Buffer;
    try {
      frame = encodeEvent(event);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (frame.length + FILE_HEADER_BYTES > this.segmentBytes) {
      return Promise.reject(new RangeError(`event ${event.id}: its ${frame.length}-byte record does not fit a ${this.segmentBytes}-byte segment`));
    }
    const copy: OutboxEvent = { id: event.id, topic: event.topic, payload: event.payload, acceptedAt: event.acceptedAt };
    const promise = new Promise<void>((resolve, reject) => this.queue.push({ event: copy, frame, resolve, reject }));
    this.inflight.set(event.id, promise);
    this.kick();
    return promise;
  }

  /** Receipts: the events leave the pending set at once; the ack log is written lazily. Returns how many were pending. */
  ack(ids: readonly string[]): number {
    let n = 0;
    for (const id of ids) {
      const entry = this.entries.get(id);
      if (!entry) continue;
      this.entries.delete(id);
      this.ackedLocs.push(...entry.locs);
      n++;
    }
    if (n === 0 || this.closing) return n;
    this.counters.acked += n;
    this.maintenanceDue = true;
    if (!this.ackTimer && !this.ackFlushDue) {
      this.ackTimer = setTimeout(() => {
        this.ackTimer = undefined;
        this.ackFlushDue = true;
        this.kick();
      }, this.ackFlushMs);
      this.ackTimer.unref();
    }
    this.kick();
    return n;
  }

  /** Unacknowledged events in capture order. */
  pending(): OutboxEvent[] {
    return [...this.entries.values()].map((e) => ({ ...e.event }));
  }

  get depth(): number {
    return this.entries.size;
  }

  get oldestAcceptedAt(): number | null {
    const first = this.entries.values().next();
    return first.done ? null : first.value.event.acceptedAt;
  }

  /** Bytes the outbox's files take on disk (segments and ack logs). */
  get bytes(): number {
    return this.totalBytes;
  }

  /** True since an append was refused for lack of room, until room is made or an append succeeds. */
  get full(): boolean {
    return this.isFull;
  }

  get refused(): number {
    return this.counters.refused;
  }

  get stats(): OutboxStats {
    return { ...this.counters, syncs: { ...this.counters.syncs } };
  }

  /** What the last open found and repaired. */
  get recovery(): RecoveryReport {
    return { ...this.report, corrupt: [...this.report.corrupt] };
  }

  /** Waits for every append already made, writes the pending acks, and releases the directory. */
  close(): Promise<void> {
    this.closed ??= this.shutDown();
    return this.closed;
  }

  private async shutDown(): Promise<void> {
    this.closing = true;
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    this.ackFlushDue = true;
    this.kick();
    while (this.running) await this.idle;
    await this.activeFh?.close();
    this.activeFh = undefined;
    openDirs.delete(this.dir);
  }

  // ---- the I/O loop ----

  private kick(): void {
    if (this.running) return;
    this.running = true;
    this.idle = this.loop();
  }

  private async loop(): Promise<void> {
    for (;;) {
      try {
        this.applyAcks();
        if (this.queue.length > 0) {
          if (this.commitDelayMs > 0) await new Promise((r) => setTimeout(r, this.commitDelayMs));
          const batch = this.queue.splice(0);
          try {
            await this.commit(batch);
          } catch (err) {
            // Not expected (commit settles its own failures), but an append must never hang unanswered.
            this.fail(batch.filter((w) => !w.settled), err);
          }
        } else if (this.maintenanceDue) {
          this.maintenanceDue = false;
          await this.maintain();
        } else if (this.ackFlushDue) {
          this.ackFlushDue = false;
          await this.flushAcks();
        } else {
          // Cleared in the same synchronous step as the last check, so a kick() can never be missed.
          this.running = false;
          return;
        }
      } catch (err) {
        // commit() settles its own appends; what reaches here is housekeeping that will be retried.
        this.log?.warn({ err, dir: this.dir }, 'outbox housekeeping failed; it is retried at the next receipt');
      }
    }
  }

  private async sync(fh: FileHandle, kind: SyncKind): Promise<void> {
    if (!this.fsyncEnabled) return;
    await this.beforeSync?.(kind);
    this.counters.syncs[kind]++;
    // fdatasync suffices for appended data: it also flushes the file size, only mtime is left behind.
    await (kind === 'directory' ? fh.sync() : fh.datasync());
  }

  /** A created, renamed or removed name is durable only once the directory itself is fsync'd. */
  private async syncDir(): Promise<void> {
    if (!this.fsyncEnabled) return;
    const fh = await open(this.dir, 'r');
    try {
      await this.sync(fh, 'directory');
    } catch (err) {
      // Some platforms cannot fsync a directory (EISDIR, EINVAL); Linux can, and errors there are real.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EISDIR' && code !== 'EINVAL') throw err;
    } finally {
      await fh.close();
    }
  }

  private path(seg: Segment, ext: 'log' | 'ack'): string {
    return join(this.dir, segmentName(seg.seq, seg.gen, ext));
  }

  private mustRoll(chunkBytes: number, cost: number): boolean {
    const a = this.active;
    return a === undefined || (a.size + chunkBytes + cost > this.segmentBytes && a.size + chunkBytes > FILE_HEADER_BYTES);
  }

  private fits(chunkBytes: number, cost: number): boolean {
    return this.totalBytes + chunkBytes + cost + (this.mustRoll(chunkBytes, cost) ? FILE_HEADER_BYTES : 0) <= this.maxBytes;
  }

  private reclaimableBytes(): number {
    let n = 0;
    for (const s of this.segments) if (s !== this.active) n += s.liveCount === 0 ? s.size + s.ackSize : s.size - FILE_HEADER_BYTES - s.liveBytes;
    return n;
  }

  private async commit(batch: Waiter[]): Promise<void> {
    let chunk: Waiter[] = [];
    let chunkBytes = 0;
    let reclaimed = false;
    const flush = async (): Promise<void> => {
      if (chunk.length === 0) return;
      const waiters = chunk;
      const bytes = chunkBytes;
      chunk = [];
      chunkBytes = 0;
      await this.writeChunk(waiters, bytes);
    };
    for (const w of batch) {
      const cost = w.frame.length;
      if (!this.fits(chunkBytes, cost) && !reclaimed && this.reclaimableBytes() > 0) {
        // Acked records may still sit in sealed segments: reclaim them before refusing anything.
        reclaimed = true;
        await flush();
        try {
          await this.reclaim(this.totalBytes + chunkBytes + cost + FILE_HEADER_BYTES - this.maxBytes);
        } catch (err) {
          this.log?.warn({ err, dir: this.dir }, 'outbox could not reclaim acknowledged space');
        }
      }
      if (!this.fits(chunkBytes, cost)) {
        this.counters.refused++;
        this.isFull = true;
        this.inflight.delete(w.event.id);
        w.settled = true;
        w.reject(new OutboxFullError(w.event.id, this.totalBytes, this.maxBytes, this.entries.size));
        continue;
      }
      if (this.mustRoll(chunkBytes, cost)) {
        await flush();
        try {
          await this.rollover();
        } catch (err) {
          this.fail([w], err);
          continue;
        }
      }
      chunk.push(w);
      chunkBytes += cost;
    }
    await flush();
  }

  private fail(waiters: Waiter[], err: unknown): void {
    const cause = err instanceof Error ? err : new Error(String(err));
    for (const w of waiters) {
      this.inflight.delete(w.event.id);
      w.settled = true;
      w.reject(new Error(`outbox ${this.dir}: event ${w.event.id} not accepted: ${cause.message}`, { cause }));
    }
  }

  private async writeChunk(waiters: Waiter[], bytes: number): Promise<void> {
    const seg = this.active!;
    const fh = this.activeFh!;
    const start = seg.size;
    const buf = waiters.length === 1 ? waiters[0]!.frame : Buffer.concat(waiters.map((w) => w.frame), bytes);
    try {
      // Positioned writes: our idea of the end of the file never depends on a previous write having succeeded.
      await writeAll(fh, buf, start);
    } catch (err) {
      seg.size += bytes;
      this.totalBytes += bytes;
      await this.retireActive();
      this.fail(waiters, err);
      return;
    }
    seg.size += bytes;
    this.totalBytes += bytes;
    try {
      await this.sync(fh, 'segment');
    } catch (err) {
      // After a failed fsync Linux may have dropped the dirty pages and marked them clean: nothing in this
      // file's cache can be trusted to reach the disk, so later appends go to a fresh segment.
      await this.retireActive();
      this.fail(waiters, err);
      return;
    }
    let offset = start;
    for (const w of waiters) {
      const loc: Loc = { seg, offset, size: w.frame.length };
      offset += w.frame.length;
      seg.liveCount++;
      seg.liveBytes += loc.size;
      const existing = this.entries.get(w.event.id);
      if (existing) existing.locs.push(loc);
      else this.entries.set(w.event.id, { event: w.event, locs: [loc] });
      this.inflight.delete(w.event.id);
    }
    this.counters.appended += waiters.length;
    this.counters.commits++;
    this.isFull = false;
    for (const w of waiters) {
      w.settled = true;
      w.resolve();
    }
  }

  private async retireActive(): Promise<void> {
    const fh = this.activeFh;
    this.active = undefined;
    this.activeFh = undefined;
    this.maintenanceDue = true;
    await fh?.close().catch(() => undefined);
  }

  private async rollover(): Promise<void> {
    await this.retireActive();
    const seg: Segment = newSegment(this.nextSeq++, 0);
    const path = this.path(seg, 'log');
    const fh = await open(path, 'wx', PRIVATE_FILE);
    try {
      await writeAll(fh, SEGMENT_HEADER, 0);
      // The header reaches the disk with the first commit's fdatasync; the name must be durable before that
      // commit is acknowledged, so the directory is fsync'd now.
      await this.syncDir();
    } catch (err) {
      await fh.close().catch(() => undefined);
      await unlinkIfThere(path).catch(() => undefined);
      throw err;
    }
    seg.size = FILE_HEADER_BYTES;
    this.totalBytes += FILE_HEADER_BYTES;
    this.segments.push(seg);
    this.active = seg;
    this.activeFh = fh;
  }

  /** Segment bookkeeping for receipts, done inside the loop so that a compaction in flight has moved the records first. */
  private applyAcks(): void {
    if (this.ackedLocs.length === 0) return;
    for (const loc of this.ackedLocs.splice(0)) {
      const seg = loc.seg;
      if (seg.deleted) continue;
      seg.liveCount--;
      seg.liveBytes -= loc.size;
      seg.ackBuf.push(loc.offset);
      if (seg.liveCount === 0 || seg !== this.active) this.maintenanceDue = true;
    }
  }

  private async flushAcks(): Promise<void> {
    for (const seg of this.segments) {
      if (seg.ackBuf.length === 0 || seg.deleted) continue;
      const offsets = seg.ackBuf;
      seg.ackBuf = [];
      const frame = encodeAck(offsets);
      const buf = seg.ackSize === 0 ? Buffer.concat([ACK_HEADER, frame]) : frame;
      const fh = await open(this.path(seg, 'ack'), seg.ackSize === 0 ? 'w' : 'r+', PRIVATE_FILE);
      try {
        await writeAll(fh, buf, seg.ackSize);
        seg.ackSize += buf.length;
        this.totalBytes += buf.length;
        // No directory fsync for a new ack log: if its name is lost, its acks are, and the events are resent.
        await this.sync(fh, 'ack');
      } finally {
        await fh.close();
      }
    }
  }

  /** Deletes sealed segments with nothing pending and compacts those mostly acknowledged. */
  private async maintain(): Promise<void> {
    this.applyAcks();
    for (const seg of [...this.segments]) {
      if (seg === this.active || seg.deleted) continue;
      if (seg.liveCount === 0) {
        await this.deleteSegment(seg);
        continue;
      }
      const room = seg.size - FILE_HEADER_BYTES;
      if (!seg.noCompact && room - seg.liveBytes >= this.compactRatio * room) await this.compact(seg);
    }
  }

  /**
   * When full: frees at least `need` bytes if acknowledged records allow, compacting the segments with the
   * most dead bytes first and stopping as soon as enough is free (not every segment: an SD card would pay a
   * full rewrite for every append of a full outbox).
   */
  private async reclaim(need: number): Promise<void> {
    await this.maintain();
    const start = this.totalBytes;
    const dead = (s: Segment): number => s.size - FILE_HEADER_BYTES - s.liveBytes;
    const candidates = this.segments.filter((s) => s !== this.active && !s.noCompact && dead(s) > 0).sort((a, b) => dead(b) - dead(a));
    for (const seg of candidates) {
      if (start - this.totalBytes >= need) return;
      this.applyAcks();
      if (seg.deleted) continue;
      if (seg.liveCount === 0) await this.deleteSegment(seg);
      else await this.compact(seg);
    }
  }

  private async deleteSegment(seg: Segment): Promise<void> {
    seg.deleted = true;
    seg.ackBuf = [];
    this.segments = this.segments.filter((s) => s !== seg);
    // The log first: a crash between the two leaves an orphan ack log, removed at open; the other order
    // could leave a segment without its acks (only resends, but needless ones).
    await unlinkIfThere(this.path(seg, 'log'));
    await unlinkIfThere(this.path(seg, 'ack'));
    this.totalBytes -= seg.size + seg.ackSize;
    this.counters.segmentsDeleted++;
    if (seg.size + seg.ackSize > 0) this.isFull = false;
    await this.syncDir();
  }

  /**
   * Rewrites a sealed segment with only its unacknowledged records, in their order, as the next generation:
   * written to a .tmp, fsync'd, renamed, directory fsync'd; only then is the old generation removed.
   * A crash at any point leaves either the old generation whole, or the new one whole (open prefers it).
   */
  private async compact(seg: Segment): Promise<void> {
    const oldLog = this.path(seg, 'log');
    const buf = await readFile(oldLog);
    const scan = scanFrames(buf, FILE_HEADER_BYTES, decodeEvent);
    const keep: { loc: Loc; frame: Buffer }[] = [];
    for (const f of scan.frames) {
      const loc = this.entries.get(f.value.id)?.locs.find((l) => l.seg === seg && l.offset === f.offset);
      if (loc) keep.push({ loc, frame: buf.subarray(f.offset, f.end) });
    }
    // Receipts that arrived during the read are out of `entries` but not yet out of liveCount.
    const ackedMeanwhile = this.ackedLocs.filter((l) => l.seg === seg).length;
    if (keep.length + ackedMeanwhile !== seg.liveCount) {
      // A record we hold as pending no longer reads back (the medium decayed since open). Its event is still
      // in memory and will be sent; rewriting would only hide the damage, so leave this segment alone.
      seg.noCompact = true;
      this.log?.error({ file: oldLog, expected: seg.liveCount - ackedMeanwhile, readable: keep.length }, 'outbox segment no longer reads back whole; not compacting it');
      return;
    }
    const next: Segment = { ...newSegment(seg.seq, seg.gen + 1), liveCount: keep.length };
    const newLog = this.path(next, 'log');
    const tmp = `${newLog}.tmp`;
    const content = Buffer.concat([SEGMENT_HEADER, ...keep.map((k) => k.frame)]);
    const fh = await open(tmp, 'w', PRIVATE_FILE);
    try {
      await writeAll(fh, content, 0);
      await this.sync(fh, 'segment');
    } catch (err) {
      await fh.close().catch(() => undefined);
      await unlinkIfThere(tmp).catch(() => undefined);
      throw err;
    }
    await fh.close();
    await rename(tmp, newLog);
    await this.syncDir();
    // From here the new generation is the truth; acks made meanwhile follow their Loc to it (applyAcks).
    let offset = FILE_HEADER_BYTES;
    for (const k of keep) {
      k.loc.seg = next;
      k.loc.offset = offset;
      offset += k.frame.length;
      next.liveBytes += k.frame.length;
    }
    next.size = content.length;
    seg.deleted = true;
    this.segments = this.segments.map((s) => (s === seg ? next : s));
    this.totalBytes += next.size - seg.size - seg.ackSize;
    this.counters.compactions++;
    this.isFull = false;
    // No directory fsync needed: if these removals are lost, open removes the lower generation again.
    await unlinkIfThere(oldLog);
    await unlinkIfThere(this.path(seg, 'ack'));
  }
}
