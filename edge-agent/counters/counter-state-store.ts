import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { slug } from '../../protocol/index.js';
import { writeFileAtomic } from '../../runtime/durable-file.js';

const isoTime = z.iso.datetime({ offset: true });
const count = z.number().int().nonnegative();

const bucketSchema = z
  .object({ bucketStart: isoTime, bucketSeconds: z.number().int().positive().max(86_400), in: count, out: count })
  .strict();

/**
 * `<stateDir>/<deviceId>.json`: what a door counter must remember across restarts. Raw counts are
 * cumulative, so a file saved with some lag is still consistent: the next reading's delta from `last`
 * covers everything counted since, and goes into `open`.
 */
export const counterStateSchema = z
  .object({
    v: z.literal(1),
    deviceId: slug,
    /** The last raw values read, null before the first reading. */
    last: z.object({ in: count, out: count, modulo: z.number().int().min(2) }).strict().nullable(),
    /** The bucket being filled (not emitted yet, unless a crash came between its emission and this save). */
    open: bucketSchema.nullable(),
    /** Closed buckets not yet stored in the outbox, oldest first (absent in files from before it was kept). */
    closed: z.array(bucketSchema).default([]),
    /** End of the last closed bucket: no new bucket starts before it. */
    closedUntil: isoTime.nullable(),
    savedAt: isoTime,
  })
  .strict()
  .refine((s) => !s.last || (s.last.in < s.last.modulo && s.last.out < s.last.modulo), {
    message: 'raw counts must be below their modulo',
    path: ['last'],
  });

export type CounterState = z.infer<typeof counterStateSchema>;

export interface LoadedCounterState {
  /** Undefined on a first start, or when the file was unusable. */
  state: CounterState | undefined;
  /** Why the file was not used (it was set aside as `.bad` when possible). */
  problem?: string;
}

/** One counter's state file. load() never throws; save() throws I/O errors for the caller to report. */
export class CounterStateStore {
  readonly path: string;

  constructor(
    stateDir: string,
    private readonly deviceId: string,
  ) {
    slug.parse(deviceId); // the id becomes a file name: no path separators, no dots
    this.path = join(stateDir, `${deviceId}.json`);
  }

  load(): LoadedCounterState {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: undefined };
      return { state: undefined, problem: this.setAside(`cannot read ${this.path}: ${(err as Error).message}`) };
    }
    let reason: string;
    try {
      const parsed = counterStateSchema.safeParse(JSON.parse(text));
      if (parsed.success && parsed.data.deviceId === this.deviceId) return { state: parsed.data };
      reason = parsed.success
        ? `it belongs to device "${parsed.data.deviceId}"`
        : parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    } catch (err) {
      reason = (err as Error).message;
    }
    return { state: undefined, problem: this.setAside(`unusable state file ${this.path} (${reason})`) };
  }

  save(state: Omit<z.input<typeof counterStateSchema>, 'v' | 'deviceId' | 'savedAt'>, now: number): void {
    const file: CounterState = { v: 1, deviceId: this.deviceId, ...state, closed: state.closed ?? [], savedAt: new Date(now).toISOString() };
    writeFileAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`);
  }

  /** Renames the file to `.bad` so that it can be examined and is not read again; returns the problem to report. */
  private setAside(problem: string): string {
    const bad = `${this.path}.bad`;
    try {
      renameSync(this.path, bad);
      return `${problem}; moved to ${bad}, counting starts from a new baseline`;
    } catch (err) {
      return `${problem}; could not move it to ${bad} (${(err as Error).message}), counting starts from a new baseline`;
    }
  }
}
