import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DurableOutbox } from '../edge-agent/outbox/durable-outbox.js';
import type { OutboxEvent } from '../edge-agent/outbox/pending-events.js';
import { summary } from './stats.js';

const RUNS = Number(process.env.BENCH_OUTBOX_RUNS ?? 5);
const RUN_MS = Number(process.env.BENCH_OUTBOX_MS ?? 700);
const CONCURRENCY = [1, 8, 64];
const ms = (x: number): string => `${x.toFixed(2)} ms`;
/** Where the outbox lives: set it to the Pi's SD card (or the disk under test); default the system temp dir. */
const BASE = process.env.BENCH_OUTBOX_DIR ?? tmpdir();

/** A weighing as the agent would queue it (~330 bytes of JSON). */
function weighing(n: number): OutboxEvent {
  const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const payload = JSON.stringify({
    v: 1,
    id,
    seq: n,
    capturedAt: new Date(1_700_000_000_000 + n * 1000).toISOString(),
    clockSynced: true,
    netKg: 12.34,
    grossKg: 13.5,
    tareKg: 1.16,
    direction: 'in',
    category: 'textile',
    collectType: 'apport-volontaire',
    bonId: 'bon-2025-0001',
    source: 'auto',
  });
  return { id, topic: 'tb/v1/paris-11/pi-1/balance/weighing', payload, acceptedAt: Date.now() };
}

interface RunResult {
  rate: number;
  fsyncsPer1000: number;
  perCommit: number;
}

/** `concurrency` appenders, each awaiting its append before the next, for RUN_MS: the sustained accept rate. */
async function run(concurrency: number, fsync: boolean): Promise<RunResult> {
  const dir = mkdtempSync(join(BASE, 'trebuchet-bench-outbox-'));
  try {
    const outbox = await DurableOutbox.open(dir, { fsync });
    await outbox.append(weighing(-1)); // the first segment's creation is not part of the steady state
    const base = outbox.stats;
    let n = 0;
    const t0 = performance.now();
    const end = t0 + RUN_MS;
    const appender = async (): Promise<void> => {
      while (performance.now() < end) await outbox.append(weighing(n++));
    };
    await Promise.all(Array.from({ length: concurrency }, appender));
    const elapsed = performance.now() - t0;
    const s = outbox.stats;
    await outbox.close();
    const appended = s.appended - base.appended;
    const syncs = s.syncs.segment + s.syncs.directory + s.syncs.ack - (base.syncs.segment + base.syncs.directory + base.syncs.ack);
    return { rate: (appended / elapsed) * 1000, fsyncsPer1000: (syncs / appended) * 1000, perCommit: appended / (s.commits - base.commits) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Median latency of `count` 4 KiB writes each followed by fsync (or fdatasync, which the outbox uses). */
async function rawSync(kind: 'fsync' | 'fdatasync', count = 100): Promise<number[]> {
  const dir = mkdtempSync(join(BASE, 'trebuchet-bench-fsync-'));
  const fh = await open(join(dir, 'probe'), 'w');
  const block = Buffer.alloc(4096, 0x5a);
  const samples: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const t = performance.now();
      await fh.write(block, 0, block.length, i * block.length);
      await (kind === 'fsync' ? fh.sync() : fh.datasync());
      samples.push(performance.now() - t);
    }
  } finally {
    await fh.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return samples;
}

/**
 * The durable outbox's sustained accept rate with fsync on this machine, for 1, 8 and 64 concurrent appenders
 * (median of RUNS runs of RUN_MS each), the fsyncs it pays per 1000 events (group commit), and as references
 * the same without fsync (benchmark-only option: not crash-safe) and the disk's raw fsync latency.
 */
export async function benchOutbox(): Promise<void> {
  const fsyncLat = summary(await rawSync('fsync'));
  const datasyncLat = summary(await rawSync('fdatasync'));
  console.log(`\nDurable outbox in ${BASE} (${RUNS} runs × ${RUN_MS} ms per line, ~${Buffer.byteLength(weighing(0).payload)}-byte weighings)`);
  console.log(`  raw disk: 4 KiB write + fsync      median ${ms(fsyncLat.median)}   p95 ${ms(fsyncLat.p95)}   (${fsyncLat.n} samples)`);
  console.log(`  raw disk: 4 KiB write + fdatasync  median ${ms(datasyncLat.median)}   p95 ${ms(datasyncLat.p95)}   (what a commit pays)`);
  for (const fsync of [true, false]) {
    console.log(fsync ? '  with fsync (the real thing: accepted = on disk)' : '  REFERENCE ONLY, fsync: false (benchmark option; a power cut loses accepted events)');
    for (const c of CONCURRENCY) {
      const results: RunResult[] = [];
      for (let r = 0; r < RUNS; r++) results.push(await run(c, fsync));
      const rate = summary(results.map((x) => x.rate));
      const per1000 = summary(results.map((x) => x.fsyncsPer1000));
      const perCommit = summary(results.map((x) => x.perCommit));
      console.log(
        `    ${String(c).padStart(2)} appender${c === 1 ? ' ' : 's'}  ${Math.round(rate.median).toString().padStart(7)} events/s median ` +
          `(min ${Math.round(rate.min)}, max ${Math.round(rate.max)})   ${per1000.median.toFixed(1).padStart(6)} fsyncs / 1000 events   ` +
          `${perCommit.median.toFixed(1)} events per commit`,
      );
    }
  }
}
