import { unlink } from 'node:fs/promises';
import type { OutboxEvent } from './pending-events.js';

/** The outbox's files and their bookkeeping, shared by the running outbox and its recovery at open. */
export interface Segment {
  seq: number;
  gen: number;
  /** Bytes in the .log file (header included). */
  size: number;
  /** Records not yet acknowledged (whether or not the ack is applied, see applyAcks). */
  liveCount: number;
  liveBytes: number;
  ackSize: number;
  ackBuf: number[];
  deleted: boolean;
  noCompact: boolean;
}

export interface Loc {
  seg: Segment;
  offset: number;
  size: number;
}

export interface Entry {
  event: OutboxEvent;
  /** Usually one; more when the same id was appended again after a receipt whose ack was lost in a crash. */
  locs: Loc[];
}

export const SEGMENT_NAME = /^seg-(\d{10})-(\d+)\.(log|ack)$/;

export function segmentName(seq: number, gen: number, ext: 'log' | 'ack'): string {
  return `seg-${String(seq).padStart(10, '0')}-${gen}.${ext}`;
}

export function newSegment(seq: number, gen: number): Segment {
  return { seq, gen, size: 0, liveCount: 0, liveBytes: 0, ackSize: 0, ackBuf: [], deleted: false, noCompact: false };
}

export async function unlinkIfThere(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
