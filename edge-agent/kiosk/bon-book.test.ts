import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../runtime/log.js';
import { BonBook } from './bon-book.js';
import type { KioskBon } from './kiosk-types.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function book(timeZone: string): BonBook {
  const d = mkdtempSync(join(tmpdir(), 'trebuchet-bon-book-'));
  dirs.push(d);
  return new BonBook(d, 10, timeZone, createLogger('silent'));
}

/** Opens the next bon at `iso` and closes it, as the counter does; returns its id and number. */
function runBon(b: BonBook, iso: string): { bonId: string; number: number } {
  const nowMs = Date.parse(iso);
  const next = b.nextId('comptoir', nowMs);
  const bon: KioskBon = { ...next, direction: 'in', openedAt: iso, clock: { clockSynced: true }, state: 'open', lines: [] };
  b.setOpen(bon, nowMs);
  b.finish({ ...bon, state: 'closed', closedAt: iso });
  return next;
}

const dayOf = (bonId: string) => bonId.split('-')[1];

// Each assertion is at an instant where the site's date is not the UTC date, and two sites on either side of
// UTC disagree, so that whatever zone this process runs in, a day taken from it fails one of them.
describe("BonBook: the counter's day is the site's", () => {
  it("dates a bon id with the site's day, not the process's", () => {
    const at = '2025-01-15T12:00:00.000Z';
    expect(dayOf(book('Pacific/Auckland').nextId('comptoir', Date.parse(at)).bonId)).toBe('20250116'); // 01:00 on the 16th
    expect(dayOf(book('America/Cayenne').nextId('comptoir', Date.parse(at)).bonId)).toBe('20250115'); // 09:00 on the 15th
    expect(dayOf(book('Pacific/Auckland').nextId('comptoir', Date.parse('2025-01-15T10:30:00.000Z')).bonId)).toBe('20250115'); // 23:30
    expect(dayOf(book('America/Cayenne').nextId('comptoir', Date.parse('2025-01-16T01:30:00.000Z')).bonId)).toBe('20250115'); // 22:30
  });

  it("restarts the bon numbers at the site's midnight, not at UTC's", () => {
    const paris = book('Europe/Paris');
    expect(runBon(paris, '2025-03-14T08:00:00.000Z')).toMatchObject({ number: 1, bonId: expect.stringMatching(/^comptoir-20250314-001-[0-9a-f]{6}$/) });
    expect(runBon(paris, '2025-03-14T22:50:00.000Z')).toMatchObject({ number: 2, bonId: expect.stringMatching(/^comptoir-20250314-002-/) }); // 23:50 in Paris
    // 00:10 on the 15th in Paris, still the 14th in UTC: a new day at the counter.
    expect(runBon(paris, '2025-03-14T23:10:00.000Z')).toMatchObject({ number: 1, bonId: expect.stringMatching(/^comptoir-20250315-001-/) });

    const cayenne = book('America/Cayenne');
    expect(runBon(cayenne, '2025-03-14T20:00:00.000Z').number).toBe(1); // 17:00 on the 14th
    // 21:10 on the 14th in Cayenne, already the 15th in UTC: the same day at the counter.
    expect(runBon(cayenne, '2025-03-15T00:10:00.000Z')).toMatchObject({ number: 2, bonId: expect.stringMatching(/^comptoir-20250314-002-/) });
  });
});
