import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { PRIVATE_FILE } from '../runtime/durable-file.js';
import type { DeadLetter } from '../protocol/index.js';
import type { OutboxEvent } from './outbox/pending-events.js';

/**
 * Events ingest refused for good (an impossible timestamp, a payload that fails validation). They leave
 * the outbox, so they are not resent forever, but are kept here with the reason for a person to look at:
 * refused is not lost. One JSON line each, fsync'd before the event leaves the outbox.
 */
export class DeadLetterFile {
  private count = 0;

  constructor(private readonly dir: string) {}

  get path(): string {
    return join(this.dir, 'dead-letters.jsonl');
  }

  get size(): number {
    return this.count;
  }

  async keep(letter: DeadLetter, event: OutboxEvent | undefined): Promise<void> {
    const line = `${JSON.stringify({ ...letter, payload: event?.payload ?? null })}\n`;
    const file = await open(this.path, 'a', PRIVATE_FILE);
    try {
      await file.write(line);
      await file.sync();
    } finally {
      await file.close();
    }
    this.count++;
  }
}
