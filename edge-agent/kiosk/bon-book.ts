import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { weighingSchema } from '../../protocol/messages.js';
import type { Logger } from '../../runtime/log.js';
import { writeFileAtomic } from '../../runtime/durable-file.js';
import type { KioskBon } from './kiosk-types.js';

const lineSchema = z.object({
  id: z.string(),
  scale: z.string(),
  weighing: weighingSchema,
  voided: z.object({ at: z.string(), by: z.string().optional(), voidId: z.string() }).optional(),
});

const bonSchema = z.object({
  bonId: z.string(),
  number: z.number().int().positive(),
  direction: z.enum(['in', 'out']),
  collectType: z.string().optional(),
  district: z.string().optional(),
  destination: z.string().optional(),
  partner: z.string().optional(),
  comment: z.string().optional(),
  openedAt: z.string(),
  clock: z.object({ clockSynced: z.boolean(), clockRef: z.object({ boot: z.string(), monoMs: z.number() }).optional() }),
  by: z.string().optional(),
  state: z.enum(['open', 'closed', 'abandoned']),
  closedAt: z.string().optional(),
  closedBy: z.string().optional(),
  lines: z.array(lineSchema),
});

const bookSchema = z.object({
  v: z.literal(1),
  /** The local day of `lastNumber`: numbers restart at 1 each day. */
  day: z.string(),
  lastNumber: z.number().int().nonnegative(),
  open: bonSchema.nullable(),
  recent: z.array(bonSchema),
});

type BookData = z.infer<typeof bookSchema>;

/**
 * YYYYMMDD of a time in the site's time zone: the counter's day. Not the process's zone, which on a Pi is often
 * UTC: the bon of 00:30 in Paris belongs to the day the dashboards count it in.
 */
function localDay(ms: number, timeZone: string): string {
  return DateTime.fromMillis(ms, { zone: timeZone }).toFormat('yyyyLLdd');
}

/**
 * The counter's bons on disk: the open one with its lines, the latest closed ones, and the day's bon
 * number. Rewritten atomically at every change, so a power cut in the middle of a bon finds it open again
 * with every line the outbox accepted. (The lines' weighings themselves are in the outbox, fsync'd first.)
 */
export class BonBook {
  private data: BookData;
  private readonly path: string;

  constructor(
    dataDir: string,
    private readonly keepRecent: number,
    /** The site's IANA time zone, where the counter's day starts and ends. */
    private readonly timeZone: string,
    log: Logger,
  ) {
    this.path = join(dataDir, 'kiosk', 'bons.json');
    this.data = { v: 1, day: '', lastNumber: 0, open: null, recent: [] };
    let text: string | undefined;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return; // first start
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON: refused by the schema below like any other damage.
    }
    const parsed = bookSchema.safeParse(json);
    if (parsed.success) this.data = parsed.data;
    else {
      // Kept aside for a person to look at; the lines themselves are safe in the outbox.
      const aside = `${this.path}.unreadable-${Date.now()}`;
      renameSync(this.path, aside);
      log.error({ file: aside }, 'the bons file was unreadable; set aside, starting with no open bon');
    }
  }

  get open(): KioskBon | null {
    return this.data.open as KioskBon | null;
  }

  get recent(): KioskBon[] {
    return this.data.recent as KioskBon[];
  }

  /**
   * The next bon's id and number at this counter, today. A random tail keeps the id unique even if the
   * day's count restarts (a bons file set aside after a crash, a replaced SD card).
   */
  nextId(agent: string, nowMs: number): { bonId: string; number: number } {
    const day = localDay(nowMs, this.timeZone);
    const number = day === this.data.day ? this.data.lastNumber + 1 : 1;
    return { bonId: `${agent}-${day}-${String(number).padStart(3, '0')}-${randomBytes(3).toString('hex')}`, number };
  }

  /** Opens a bon; its number becomes the day's last. */
  setOpen(bon: KioskBon, nowMs: number): void {
    this.data.day = localDay(nowMs, this.timeZone);
    this.data.lastNumber = bon.number;
    this.data.open = bon;
    this.save();
  }

  /** Moves the open bon, now closed or abandoned, to the recent ones. */
  finish(bon: KioskBon): void {
    this.data.open = null;
    this.data.recent = [bon, ...this.data.recent].slice(0, this.keepRecent);
    this.save();
  }

  save(): void {
    writeFileAtomic(this.path, `${JSON.stringify(this.data)}\n`);
  }
}
