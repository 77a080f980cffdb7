import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { DurableOutbox } from '../../edge-agent/outbox/durable-outbox.js';
import type { OutboxEvent } from '../../edge-agent/outbox/pending-events.js';

/**
 * The process tests/integration/outbox-kill.test.ts kills with SIGKILL at random moments (run from dist/,
 * as Node 20 cannot run TypeScript). Usage: outbox-crash-child.js <dir> <run>
 *
 * It acknowledges a quarter of what earlier runs left pending (receipts after a restart), then appends events
 * as fast as 8 concurrent appenders can, acknowledging every fifth one: so appends, group commits, segment
 * roll-overs, ack logs, segment deletions and compactions are all in flight when the kill lands.
 * Output lines: "ready", "ok <id>" once an append resolved, "ack <id>" before that id is acknowledged.
 */

/** Deterministic content per id, so the parent can tell an intact event from a corrupt one. */
export function crashTestEvent(id: string, acceptedAt: number): OutboxEvent {
  const digest = createHash('sha256').update(id).digest();
  const kg = digest.readUInt16LE(0) / 100;
  // Variable length (and multi-byte UTF-8) so frames straddle write and segment boundaries differently.
  const note = 'pesée ♻ '.repeat(digest[2]! % 40);
  return { id, topic: `tb/v1/paris-11/pi-1/balance-${digest[3]! % 4}/weighing`, payload: JSON.stringify({ id, netKg: kg, note }), acceptedAt };
}

/** stdout writes to a pipe are synchronous on Linux: a line printed is a line the parent reads, even after SIGKILL. */
function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(dir: string, run: string): Promise<void> {
  const outbox = await DurableOutbox.open(dir, { segmentBytes: 64 * 1024, ackFlushMs: 10 });
  const receipts = outbox
    .pending()
    .filter((_, k) => k % 4 === 0)
    .map((e) => e.id);
  for (const id of receipts) say(`ack ${id}`);
  outbox.ack(receipts);
  say('ready');
  let n = 0;
  const appender = async (): Promise<void> => {
    for (;;) {
      const i = n++;
      const id = `r${run}-${i}`;
      await outbox.append(crashTestEvent(id, Date.now()));
      say(`ok ${id}`);
      if (i % 5 === 0) {
        say(`ack ${id}`);
        outbox.ack([id]);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, appender));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [dir, run] = process.argv.slice(2);
  if (!dir || !run) {
    console.error('usage: outbox-crash-child.js <dir> <run>');
    process.exit(2);
  }
  main(dir, run).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
