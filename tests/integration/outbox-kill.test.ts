import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DurableOutbox } from '../../edge-agent/outbox/durable-outbox.js';
import { crashTestEvent } from '../helpers/outbox-crash-child.js';

const ROOT = join(import.meta.dirname, '../..');
const CHILD = join(ROOT, 'dist/tests/helpers/outbox-crash-child.js');
const SOURCES = [
  ...['durable-outbox.ts', 'recovery.ts', 'segment.ts', 'record-format.ts'].map((f) => join(ROOT, 'edge-agent/outbox', f)),
  join(ROOT, 'tests/helpers/outbox-crash-child.ts'),
];
const KILLS = 20;

interface RunOutput {
  accepted: string[];
  acked: string[];
  sawReady: boolean;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Starts the child on `dir` and SIGKILLs it after `delayMs` (counted from "ready" when `afterReady`). */
function runAndKill(dir: string, run: number, delayMs: number, afterReady: boolean): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(run)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: RunOutput = { accepted: [], acked: [], sawReady: false, signal: null, stderr: '' };
    let rest = '';
    let timer: NodeJS.Timeout | undefined;
    const kill = () => child.kill('SIGKILL');
    if (!afterReady) timer = setTimeout(kill, delayMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!; // a line is complete only with its newline
      for (const line of lines) {
        if (line.startsWith('ok ')) out.accepted.push(line.slice(3));
        else if (line.startsWith('ack ')) out.acked.push(line.slice(4));
        else if (line === 'ready') {
          out.sawReady = true;
          if (afterReady) timer = setTimeout(kill, delayMs);
        }
      }
    });
    child.stderr.on('data', (c: Buffer) => (out.stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(timer);
      out.signal = signal;
      resolve(out);
    });
  });
}

describe('durable outbox under kill -9', () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(CHILD)) throw new Error(`${CHILD} is missing: build first (npx tsc -p tsconfig.build.json)`);
    const built = statSync(CHILD).mtimeMs;
    for (const src of SOURCES) {
      if (statSync(src).mtimeMs > built) throw new Error(`${CHILD} is older than ${src}: rebuild (npx tsc -p tsconfig.build.json)`);
    }
    dir = mkdtempSync(join(tmpdir(), 'trebuchet-outbox-kill-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`loses no accepted event, duplicates none and corrupts none across ${KILLS} SIGKILLs`, async () => {
    const t0 = Date.now();
    const accepted = new Set<string>();
    const acked = new Set<string>();
    let killedMidAppend = 0;
    for (let run = 0; run < KILLS; run++) {
      // Every fourth kill lands anywhere from spawn on (during open and recovery too); the others while appending.
      const duringStart = run % 4 === 3;
      const out = await runAndKill(dir, run, duringStart ? Math.random() * 150 : 20 + Math.random() * 200, !duringStart);
      expect(out.signal, `run ${run} ended on its own: ${out.stderr}`).toBe('SIGKILL');
      if (out.accepted.length > 0) killedMidAppend++;
      for (const id of out.accepted) {
        expect(accepted.has(id), `id ${id} accepted twice`).toBe(false);
        accepted.add(id);
      }
      for (const id of out.acked) acked.add(id);
    }

    const outbox = await DurableOutbox.open(dir, { segmentBytes: 64 * 1024 });
    try {
      const pending = outbox.pending();
      const pendingIds = new Set(pending.map((e) => e.id));
      console.log(
        `outbox kill -9: ${KILLS} kills (${killedMidAppend} mid-append), ${accepted.size} events accepted, ${acked.size} acknowledged, ` +
          `${pending.length} pending after recovery, ${outbox.recovery.segments} segments, ${outbox.bytes} bytes, ` +
          `last recovery: ${outbox.recovery.truncatedBytes} torn bytes cut`,
      );
      expect(killedMidAppend).toBeGreaterThanOrEqual(KILLS / 2);
      expect(accepted.size).toBeGreaterThan(500);
      // None duplicated.
      expect(pendingIds.size).toBe(pending.length);
      // None corrupt: every pending event is exactly what the child built for its id.
      for (const e of pending) {
        expect(e.id).toMatch(/^r\d+-\d+$/);
        expect(e.acceptedAt).toBeGreaterThanOrEqual(t0);
        expect(e.acceptedAt).toBeLessThanOrEqual(Date.now());
        expect(e).toEqual(crashTestEvent(e.id, e.acceptedAt));
      }
      // None lost: every id accepted and never acknowledged is still pending.
      const lost = [...accepted].filter((id) => !acked.has(id) && !pendingIds.has(id));
      expect(lost).toEqual([]);
      // Capture order: runs one after the other, and within a run ids in the order the appends were made
      // (the child numbers them as it calls append; commits are FIFO).
      let last = { run: -1, i: -1 };
      for (const e of pending) {
        const [, r, i] = /^r(\d+)-(\d+)$/.exec(e.id)!.map(Number) as [number, number, number];
        expect(r > last.run || (r === last.run && i > last.i), `${e.id} after r${last.run}-${last.i}`).toBe(true);
        last = { run: r, i };
      }
      // No damage beyond torn tails: nothing skipped in the middle of a segment.
      expect(outbox.recovery.corrupt.filter((c) => c.kind === 'skipped')).toEqual([]);
    } finally {
      await outbox.close();
    }
  });
});
