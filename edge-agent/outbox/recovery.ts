import { open, readdir, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../runtime/log.js';
import { ACK_HEADER, decodeAck, decodeEvent, FILE_HEADER_BYTES, scanFrames, SEGMENT_HEADER } from './record-format.js';
import { newSegment, SEGMENT_NAME, segmentName, unlinkIfThere, type Entry, type Loc, type Segment } from './segment.js';

export interface CorruptRange {
  file: string;
  offset: number;
  length: number;
  /** `torn-tail`: the end of the newest segment, cut at open (a write a crash interrupted, never accepted).
   *  `skipped`: damaged bytes between valid records, or at the end of an older segment: left in place, not read. */
  kind: 'torn-tail' | 'skipped';
}

export interface RecoveryReport {
  segments: number;
  /** Valid event records read, acknowledged or not. */
  records: number;
  pending: number;
  truncatedBytes: number;
  corrupt: CorruptRange[];
  /** Ack logs that were damaged or torn: cut at their last good frame (the acks after it mean resends, not losses). */
  ackLogsRepaired: number;
  /** Files removed: lower generations of compacted segments, orphan ack logs, leftover .tmp, segments without a record. */
  filesRemoved: number;
}

/** What recovery needs of the outbox: its segment size, and its fsyncs (counted, and held by tests). */
export interface RecoveryIo {
  segmentBytes: number;
  sync(fh: FileHandle, kind: 'segment' | 'ack'): Promise<void>;
  syncDir(): Promise<void>;
  log?: Logger;
}

export interface RecoveredOutbox {
  /** Unacknowledged events by id, in capture order. */
  entries: Map<string, Entry>;
  segments: Segment[];
  /** The newest segment, opened for appends, when it can take more. */
  active: { seg: Segment; fh: FileHandle } | undefined;
  nextSeq: number;
  totalBytes: number;
  report: RecoveryReport;
}

/**
 * Reads what a crash left in the outbox's directory: chooses each segment's newest generation, removes
 * what a compaction or a deletion cut short, cuts the newest segment's torn tail, skips damaged bytes
 * elsewhere, and applies the ack logs. Only the newest segment is ever written in place (see durable-outbox.ts).
 */
export async function recoverOutbox(dir: string, io: RecoveryIo): Promise<RecoveredOutbox> {
  const recovery = new Recovery(dir, io);
  try {
    await recovery.run();
  } catch (err) {
    await recovery.active?.fh.close().catch(() => undefined);
    throw err;
  }
  return recovery;
}

class Recovery implements RecoveredOutbox {
  readonly entries = new Map<string, Entry>();
  readonly segments: Segment[] = [];
  active: { seg: Segment; fh: FileHandle } | undefined;
  nextSeq = 1;
  totalBytes = 0;
  readonly report: RecoveryReport = { segments: 0, records: 0, pending: 0, truncatedBytes: 0, corrupt: [], ackLogsRepaired: 0, filesRemoved: 0 };

  constructor(
    private readonly dir: string,
    private readonly io: RecoveryIo,
  ) {}

  private path(seg: Segment, ext: 'log' | 'ack'): string {
    return join(this.dir, segmentName(seg.seq, seg.gen, ext));
  }

  async run(): Promise<void> {
    const report = this.report;
    const names = await readdir(this.dir);
    const gens = new Map<number, { logs: number[]; acks: number[] }>();
    for (const n of names) {
      if (n.endsWith('.tmp')) {
        await this.removeFile(n);
        const m = SEGMENT_NAME.exec(n.slice(0, -4));
        if (m) this.nextSeq = Math.max(this.nextSeq, Number(m[1]) + 1);
        continue;
      }
      const m = SEGMENT_NAME.exec(n);
      if (!m) continue;
      const seq = Number(m[1]);
      this.nextSeq = Math.max(this.nextSeq, seq + 1);
      const g = gens.get(seq) ?? { logs: [], acks: [] };
      (m[3] === 'log' ? g.logs : g.acks).push(Number(m[2]));
      gens.set(seq, g);
    }
    const chosen: { seq: number; gen: number }[] = [];
    for (const [seq, g] of [...gens].sort((a, b) => a[0] - b[0])) {
      const gen = g.logs.length ? Math.max(...g.logs) : -1;
      // Lower generations were superseded by a completed compaction; acks without their log are orphans.
      for (const other of g.logs) if (other !== gen) await this.removeFile(segmentName(seq, other, 'log'));
      for (const other of g.acks) if (other !== gen) await this.removeFile(segmentName(seq, other, 'ack'));
      if (gen >= 0) chosen.push({ seq, gen });
    }
    if (report.filesRemoved > 0) await this.io.syncDir();

    for (let i = 0; i < chosen.length; i++) {
      const { seq, gen } = chosen[i]!;
      const last = i === chosen.length - 1;
      await this.loadSegment(seq, gen, last);
    }
    report.segments = this.segments.length;
    report.pending = this.entries.size;
    if (report.corrupt.length || report.ackLogsRepaired) {
      this.io.log?.warn({ dir: this.dir, corrupt: report.corrupt, ackLogsRepaired: report.ackLogsRepaired, pending: report.pending }, 'outbox recovered from damage');
    }
  }

  private async removeFile(fileName: string): Promise<void> {
    await unlinkIfThere(join(this.dir, fileName));
    this.report.filesRemoved++;
  }

  private async loadSegment(seq: number, gen: number, last: boolean): Promise<void> {
    const report = this.report;
    const seg: Segment = newSegment(seq, gen);
    const fileName = segmentName(seq, gen, 'log');
    const path = join(this.dir, fileName);
    const buf = await readFile(path);
    const headerOk = buf.length >= FILE_HEADER_BYTES && buf.subarray(0, FILE_HEADER_BYTES).equals(SEGMENT_HEADER);
    // A damaged header does not hide the records behind it: scan from 0 and let the magic find them.
    const scan = scanFrames(buf, headerOk ? FILE_HEADER_BYTES : 0, decodeEvent);
    if (scan.frames.length === 0) {
      // Nothing readable: a segment created just before a crash (its first commit never completed), or ruin.
      if (buf.length > (headerOk ? FILE_HEADER_BYTES : 0)) report.corrupt.push({ file: fileName, offset: 0, length: buf.length, kind: last ? 'torn-tail' : 'skipped' });
      await unlinkIfThere(join(this.dir, segmentName(seq, gen, 'ack')));
      if (last && headerOk) {
        if (buf.length > FILE_HEADER_BYTES) await this.truncate(path, FILE_HEADER_BYTES, buf.length);
        await this.adopt(seg, FILE_HEADER_BYTES, true);
      } else {
        await this.removeFile(fileName);
      }
      return;
    }
    if (!headerOk) report.corrupt.push({ file: fileName, offset: 0, length: Math.min(FILE_HEADER_BYTES, buf.length), kind: 'skipped' });
    for (const g of scan.gaps) report.corrupt.push({ file: fileName, offset: g.offset, length: g.end - g.offset, kind: 'skipped' });
    let size = buf.length;
    if (scan.tail) {
      if (last) {
        // Only the newest segment is ever written in place, so only its tail can be a cut write: cut it, so the
        // next append starts on a frame boundary. The bytes were never an accepted record (none resolved).
        report.corrupt.push({ file: fileName, offset: scan.tail.offset, length: scan.tail.end - scan.tail.offset, kind: 'torn-tail' });
        await this.truncate(path, scan.validEnd, buf.length);
        size = scan.validEnd;
      } else {
        report.corrupt.push({ file: fileName, offset: scan.tail.offset, length: scan.tail.end - scan.tail.offset, kind: 'skipped' });
      }
    }
    seg.size = size;
    const acked = await this.loadAcks(seg);
    for (const f of scan.frames) {
      report.records++;
      if (acked.has(f.offset)) continue;
      const loc: Loc = { seg, offset: f.offset, size: f.end - f.offset };
      seg.liveCount++;
      seg.liveBytes += loc.size;
      const existing = this.entries.get(f.value.id);
      if (existing) existing.locs.push(loc);
      else this.entries.set(f.value.id, { event: f.value, locs: [loc] });
    }
    await this.adopt(seg, size, last && headerOk && size < this.io.segmentBytes);
  }

  private async adopt(seg: Segment, size: number, asActive: boolean): Promise<void> {
    seg.size = size;
    this.segments.push(seg);
    this.totalBytes += seg.size + seg.ackSize;
    if (asActive) {
      this.active = { seg, fh: await open(this.path(seg, 'log'), 'r+') };
    }
  }

  /** Cuts a segment's torn tail; the bytes cut are counted in the report. */
  private async truncate(path: string, to: number, from: number): Promise<void> {
    await this.cut(path, to, 'segment');
    this.report.truncatedBytes += from - to;
  }

  private async cut(path: string, to: number, kind: 'segment' | 'ack'): Promise<void> {
    const fh = await open(path, 'r+');
    try {
      await fh.truncate(to);
      await this.io.sync(fh, kind);
    } finally {
      await fh.close();
    }
  }

  /** Offsets acknowledged in this segment's ack log; a damaged ack log is cut at its last good frame. */
  private async loadAcks(seg: Segment): Promise<Set<number>> {
    const path = this.path(seg, 'ack');
    let buf: Buffer;
    try {
      buf = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
      throw err;
    }
    const headerOk = buf.length >= FILE_HEADER_BYTES && buf.subarray(0, FILE_HEADER_BYTES).equals(ACK_HEADER);
    if (!headerOk) {
      // Losing acks means resends (ingest is idempotent); misreading one would lose an event. Start over.
      await unlinkIfThere(path);
      if (buf.length > 0) this.report.ackLogsRepaired++;
      return new Set();
    }
    const scan = scanFrames(buf, FILE_HEADER_BYTES, decodeAck);
    // Only the run of good frames from the start is trusted: after damage, later frames are dropped too, so
    // the file stays a clean append point (their events come back as pending and are resent).
    let goodEnd = FILE_HEADER_BYTES;
    const acked = new Set<number>();
    for (const f of scan.frames) {
      if (f.offset !== goodEnd) break;
      for (const o of f.value) acked.add(o);
      goodEnd = f.end;
    }
    if (goodEnd < buf.length) {
      this.report.ackLogsRepaired++;
      await this.cut(path, goodEnd, 'ack');
    }
    seg.ackSize = goodEnd;
    return acked;
  }
}
