import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import type { Bon, Labelled, Visits, Weighing } from '../../protocol/index.js';
import { seededRandom } from '../common/sim-device.js';
import { dropoffScenario } from './dropoff-scenario.js';
import { outgoingLoads } from './outgoing.js';

/**
 * A whole year of one ressourcerie, calibrated on docs/domain.md, as the events its agent would send:
 * counter bons (≈ 67 donors an open day, ≈ 15 kg each, lines by category), home pick-ups (≈ 456 a
 * year, ≈ 88 kg), outgoing weighings (60 % reuse, 31 % recycling by partner, 9 % discarded), door
 * counts by the minute (≈ 185 customers an open day), one cancelled line, and weighings around
 * midnight on both DST days. It keeps its own totals (`YearTruth`), added up in integer grams from the
 * events themselves, so that a test can check what the dashboards show against them.
 */
export interface YearScenarioOptions {
  year: number;
  timeZone: string;
  seed?: number;
  /** Counter donors per open day (domain.md: ≈ 67). */
  donorsPerDay?: number;
  /** Mean kilograms a counter donor brings (domain.md: 181 t from 15,000 donors, ≈ 12 kg). */
  meanKgPerDonor?: number;
  /** Home pick-ups a year (≈ 456). */
  homePickups?: number;
  /** Customers per open day (≈ 185). */
  customersPerDay?: number;
  /** Length of a door-counter bucket. */
  visitBucketSeconds?: number;
  /** ISO weekdays the shop opens (1 Monday … 7 Sunday); default Tuesday to Saturday. */
  openWeekdays?: number[];
}

export interface YearEvent<T> {
  device: string;
  message: T;
}

export interface YearTruth {
  /** Incoming, net of the cancelled line, in grams. */
  collectedGrams: number;
  collectedGramsByCategory: Record<string, number>;
  collectedGramsByDate: Record<string, number>;
  collectedGramsByCollectType: Record<string, number>;
  /** Weighing lines standing (a cancelled line and its void count for none). */
  lines: number;
  outGramsByCategoryDestination: Record<string, Record<string, number>>;
  customers: number;
  customersByDate: Record<string, number>;
  /** Closed incoming bons by collect type. */
  bonsByCollectType: Record<string, { bons: number; grams: number }>;
  /** Local dates given special weighings: the two DST Sundays and the Mondays after. */
  dstDates: string[];
  /** The cancelled line's event id. */
  voidedId: string;
}

export interface YearScenario {
  weighings: YearEvent<Weighing>[];
  visits: YearEvent<Visits>[];
  bons: Bon[];
  truth: YearTruth;
}

export const YEAR_DEVICES = { counterScale: 'balance-comptoir', floorScale: 'balance-sol', door: 'porte' } as const;
const OPEN_HOUR = 10;
const OPEN_HOURS = 8;
/** Where the year's donors come from (a Paris-east shop), with the names a site's taxonomy would give them. */
export const YEAR_DISTRICTS: readonly Labelled[] = [
  ['paris-11e', 'Paris 11e'],
  ['paris-12e', 'Paris 12e'],
  ['paris-20e', 'Paris 20e'],
  ['montreuil', 'Montreuil'],
  ['bagnolet', 'Bagnolet'],
].map(([id, name]) => ({ id: id!, label: { fr: name!, en: name! }, retired: false }));
const DISTRICTS = YEAR_DISTRICTS.map((d) => d.id);

const add = (r: Record<string, number>, key: string, grams: number) => void (r[key] = (r[key] ?? 0) + grams);

export function yearScenario(options: YearScenarioOptions): YearScenario {
  const { year, timeZone } = options;
  const rng = seededRandom(options.seed ?? 2025);
  const openWeekdays = new Set(options.openWeekdays ?? [2, 3, 4, 5, 6]);
  const bucketSeconds = options.visitBucketSeconds ?? 60;
  const donorsPerDay = options.donorsPerDay ?? 67;
  const customersPerDay = options.customersPerDay ?? 185;

  const openDays: DateTime[] = [];
  for (let d = DateTime.fromObject({ year, month: 1, day: 1 }, { zone: timeZone }); d.year === year; d = d.plus({ days: 1 })) {
    // Closed in August and over Christmas, as many shops are: ≈ 220 open days (domain.md: 221 t at ≈ 995 kg a day).
    if (openWeekdays.has(d.weekday) && d.month !== 8 && !(d.month === 12 && d.day >= 24)) openDays.push(d);
  }

  const weighings: YearEvent<Weighing>[] = [];
  const visits: YearEvent<Visits>[] = [];
  const bons: Bon[] = [];
  const truth: YearTruth = {
    collectedGrams: 0,
    collectedGramsByCategory: {},
    collectedGramsByDate: {},
    collectedGramsByCollectType: {},
    lines: 0,
    outGramsByCategoryDestination: {},
    customers: 0,
    customersByDate: {},
    bonsByCollectType: {},
    dstDates: [],
    voidedId: '',
  };
  let seq = 0;
  let bonNumber = 0;

  const grams = (kg: number) => Math.max(1, Math.round(kg * 1000));
  const district = () => (rng() < 0.7 ? DISTRICTS[Math.floor(rng() * DISTRICTS.length)] : undefined);

  /**
   * One incoming bon: its lines as weighings, then the bon itself, with the truth kept in grams. Times are
   * epoch ms (luxon only per day: it is the slow part of a year of events) and `date` their local date.
   */
  const incomingBon = (atMs: number, date: string, collectType: string, lines: { category: string; grams: number }[], device: string) => {
    const bonId = `historique-${date.replaceAll('-', '')}-${String(++bonNumber).padStart(3, '0')}-${randomUUID().slice(0, 6)}`;
    const where = district();
    let total = 0;
    lines.forEach((line, i) => {
      weighings.push({
        device,
        message: {
          v: 1,
          id: randomUUID(),
          seq: seq++,
          capturedAt: new Date(atMs + 20_000 * (i + 1)).toISOString(),
          clockSynced: true,
          netKg: line.grams / 1000,
          direction: 'in',
          category: line.category,
          collectType,
          ...(where ? { district: where } : {}),
          bonId,
          source: 'auto',
          entry: 'normal',
        },
      });
      total += line.grams;
      add(truth.collectedGramsByCategory, line.category, line.grams);
      add(truth.collectedGramsByDate, date, line.grams);
      add(truth.collectedGramsByCollectType, collectType, line.grams);
      truth.collectedGrams += line.grams;
      truth.lines++;
    });
    bons.push({
      v: 1,
      id: randomUUID(),
      seq: seq++,
      bonId,
      capturedAt: new Date(atMs).toISOString(),
      closedAt: new Date(atMs + 20_000 * (lines.length + 1)).toISOString(),
      clockSynced: true,
      state: 'closed',
      direction: 'in',
      collectType,
      ...(where ? { district: where } : {}),
      lines: lines.length,
      netKg: total / 1000,
    });
    const byType = (truth.bonsByCollectType[collectType] ??= { bons: 0, grams: 0 });
    byType.bons++;
    byType.grams += total;
  };
  const openingMs = openDays.map((d) => d.set({ hour: OPEN_HOUR }).toMillis());
  const openDates = openDays.map((d) => d.toISODate() as string);

  // Counter drop-offs, open day by open day, reusing the counter scenario's donors.
  const donors = dropoffScenario({ seed: options.seed ?? 2025, days: openDays.length, donorsPerHour: donorsPerDay / OPEN_HOURS, openHours: OPEN_HOURS, meanKgPerDonor: options.meanKgPerDonor ?? 12 });
  for (const donor of donors) {
    const inDay = donor.arrivalMs - donor.day * OPEN_HOURS * 3_600_000;
    const at = openingMs[donor.day]! + inDay - (inDay % 1000);
    incomingBon(at, openDates[donor.day]!, 'apport-volontaire', donor.weighings.map((w) => ({ category: w.categoryId, grams: grams(w.kg) })), YEAR_DEVICES.counterScale);
  }

  // Home pick-ups, ≈ 88 kg each, furniture first, weighed on the floor scale.
  const pickups = options.homePickups ?? 456;
  for (let i = 0; i < pickups; i++) {
    const day = Math.floor(rng() * openDays.length);
    const at = openingMs[day]! - 3_600_000 + Math.floor(rng() * 60) * 60_000;
    const kg = 60 + rng() * 56;
    incomingBon(at, openDates[day]!, 'collecte-domicile', [
      { category: 'mobilier', grams: grams(kg * 0.6) },
      { category: 'quincaillerie', grams: grams(kg * 0.25) },
      { category: 'textile', grams: grams(kg * 0.15) },
    ], YEAR_DEVICES.floorScale);
  }

  // Weighings around midnight on both DST Sundays and the Mondays after: a clearance (débarras) unloaded
  // late, whose kilograms must land on the right local day (23- and 25-hour days).
  const lastSunday = (month: number) => {
    const end = DateTime.fromObject({ year, month, day: 1 }, { zone: timeZone }).endOf('month').startOf('day');
    return end.minus({ days: end.weekday % 7 });
  };
  for (const sunday of [lastSunday(3), lastSunday(10)]) {
    truth.dstDates.push(sunday.toISODate() as string, sunday.plus({ days: 1 }).toISODate() as string);
    for (const at of [sunday.set({ hour: 0, minute: 30 }), sunday.set({ hour: 23, minute: 30 }), sunday.plus({ days: 1 }).set({ hour: 0, minute: 30 })]) {
      incomingBon(at.toMillis(), at.toISODate() as string, 'debarras', [{ category: 'mobilier', grams: grams(40 + rng() * 40) }], YEAR_DEVICES.floorScale);
    }
  }

  // One line cancelled at the counter: its void entry has the same capture time, sequence and tags.
  const wrong = weighings.find((w) => w.message.category === 'livres' && w.message.collectType === 'apport-volontaire')!.message;
  weighings.push({
    device: YEAR_DEVICES.counterScale,
    message: { ...wrong, id: randomUUID(), netKg: -wrong.netKg, entry: 'void', voids: wrong.id, voidedAt: DateTime.fromISO(wrong.capturedAt).plus({ minutes: 1 }).toUTC().toISO() as string, by: 'Awa' },
  });
  truth.voidedId = wrong.id;
  const wrongGrams = Math.round(wrong.netKg * 1000);
  const wrongDate = DateTime.fromISO(wrong.capturedAt, { zone: timeZone }).toISODate() as string;
  truth.collectedGrams -= wrongGrams;
  add(truth.collectedGramsByCategory, wrong.category, -wrongGrams);
  add(truth.collectedGramsByDate, wrongDate, -wrongGrams);
  add(truth.collectedGramsByCollectType, wrong.collectType!, -wrongGrams);
  truth.lines--;
  // The bon it was on was validated without it: its line count and weight say so.
  const itsBon = bons.find((b) => b.bonId === wrong.bonId)!;
  itsBon.lines--;
  itsBon.netKg = Math.round(itsBon.netKg * 1000 - wrongGrams) / 1000;
  truth.bonsByCollectType['apport-volontaire']!.grams -= wrongGrams;

  // What leaves: each open day, the day's takings out by destination, in loads of 10–60 kg.
  for (const opening of openingMs) {
    outgoingLoads(rng, grams(950 + rng() * 100)).forEach((load, minute) => {
      const at = opening + OPEN_HOURS * 3_600_000 + Math.min(59, minute) * 60_000;
      weighings.push({
        device: YEAR_DEVICES.floorScale,
        message: {
          v: 1,
          id: randomUUID(),
          seq: seq++,
          capturedAt: new Date(at).toISOString(),
          clockSynced: true,
          netKg: load.grams / 1000,
          direction: 'out',
          category: load.category,
          destination: load.destination,
          ...(load.partner ? { partner: load.partner } : {}),
          source: 'auto',
          entry: 'normal',
        },
      });
      const byDestination = (truth.outGramsByCategoryDestination[load.category] ??= {});
      add(byDestination, load.destination, load.grams);
    });
  }

  // Customers at the door, by the minute over opening hours (a bucket is sent only when someone passed).
  const door = (bucketStartMs: number, date: string, entries: number, exits: number) => {
    visits.push({
      device: YEAR_DEVICES.door,
      message: { v: 1, id: randomUUID(), seq: seq++, bucketStart: new Date(bucketStartMs).toISOString(), bucketSeconds, clockSynced: true, in: entries, out: exits },
    });
    add(truth.customersByDate, date, entries);
    truth.customers += entries;
  };
  const bucketsPerDay = Math.floor((OPEN_HOURS * 3600) / bucketSeconds);
  for (const [d, opening] of openingMs.entries()) {
    const entries = new Array<number>(bucketsPerDay).fill(0);
    const exits = new Array<number>(bucketsPerDay).fill(0);
    const count = Math.round(customersPerDay * (0.7 + rng() * 0.6));
    for (let c = 0; c < count; c++) {
      const enter = Math.floor(rng() * (bucketsPerDay - 1));
      entries[enter]!++;
      // Twenty minutes in the shop at most; everyone is out by closing time.
      exits[Math.min(bucketsPerDay - 1, enter + 1 + Math.floor(rng() * (1200 / bucketSeconds)))]!++;
    }
    for (let b = 0; b < bucketsPerDay; b++) if (entries[b] || exits[b]) door(opening + b * bucketSeconds * 1000, openDates[d]!, entries[b]!, exits[b]!);
  }
  // The night clearances of the DST Sundays: a few people at the door just after midnight and just before.
  for (const [i, date] of truth.dstDates.entries()) {
    if (i % 2) continue;
    const sunday = DateTime.fromISO(date, { zone: timeZone });
    door(sunday.set({ hour: 0, minute: 5 }).toMillis(), date, 2, 2);
    door(sunday.set({ hour: 23, minute: 25 }).toMillis(), date, 3, 3);
  }
  return { weighings, visits, bons, truth };
}
