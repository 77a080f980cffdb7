import { dropoffScenario, type DonorVisit } from './dropoff-scenario.js';
import { destinationsOf, type OutgoingLoad } from './outgoing.js';

/**
 * The shop days a demonstration plays in real time (`trebuchet up` with no device), at docs/domain.md's
 * pace: a shop open 8 hours a day (opening when the simulation starts) and shut the other 16, ≈ 67 donors
 * and ≈ 995 kg coming in, as much going out at a few moments of the day, ≈ 185 customers at the door.
 */
export const SHOP_DAY = {
  openHours: 8,
  closedHours: 16,
  donorsPerDay: 67,
  customersPerDay: 185,
  /**
   * Share of the day's customers in each open hour, from opening (10:00 … 17:00): a ressourcerie's shop
   * fills at lunchtime and after work, the midday and late-afternoon peaks of footfall counts.
   */
  footfallByHour: [0.08, 0.11, 0.15, 0.15, 0.1, 0.11, 0.14, 0.16],
  /** People waiting at the door at opening (customers and donors): the first minutes are never empty. */
  customersAtOpening: 4,
  donorsAtOpening: 1,
  /**
   * When goods leave, in hours after opening: what was sorted since the last time goes on the shop floor
   * (réemploi), to partners and to the déchetterie. Each time, each category's kilograms that came in meanwhile
   * leave by destination in the year's proportions: the stock stays level, and the day's figures, overall and
   * per category, keep docs/domain.md's valorisation from the first sortie.
   */
  sortieHours: [0.1, 2.5, 5, 7.5],
} as const;

const HOUR_MS = 3_600_000;
/** A line lighter than this waits for the next sortie; a heavier one goes on the scale in loads of 60 kg at most. */
const MIN_LOAD_GRAMS = 300;
const MAX_LOAD_GRAMS = 60_000;

/** One moment's loads as bons de sortie: one per destination (and filière), its lines by category, at most 60 kg each. */
function sortieBons(loads: OutgoingLoad[], day: number, atMs: number): DonorVisit[] {
  const bons = new Map<string, DonorVisit>();
  for (const load of loads) {
    const key = `${load.destination}/${load.partner ?? ''}`;
    const bon = bons.get(key) ?? {
      donor: 0,
      day,
      arrivalMs: atMs,
      weighings: [],
      sortie: { destination: load.destination, ...(load.partner ? { partner: load.partner } : {}) },
    };
    bons.set(key, bon);
    // Too heavy for one load: in equal loads, as the goods would be split between trolleys.
    const n = Math.ceil(load.grams / MAX_LOAD_GRAMS);
    for (let i = 0; i < n; i++) bon.weighings.push({ categoryId: load.category, kg: (Math.floor(load.grams / n) + (i < load.grams % n ? 1 : 0)) / 1000 });
  }
  return [...bons.values()];
}

/**
 * Endless (or `days`) shop days in scenario time (ms since the first opening, shut hours included): the
 * counter's bons d'apport and bons de sortie, in the order they happen. Same seed, same days.
 */
export function* shopDays(options: { seed: number; days?: number }): Generator<DonorVisit> {
  const { openHours, closedHours, donorsPerDay, sortieHours } = SHOP_DAY;
  const days = options.days ?? Infinity;
  const openMs = openHours * HOUR_MS;
  const cycleMs = (openHours + closedHours) * HOUR_MS;
  // The donor waiting at opening is one of the day's 67.
  const donors = dropoffScenario({ seed: options.seed, days, donorsPerHour: (donorsPerDay - SHOP_DAY.donorsAtOpening) / openHours, openHours, waitingAtOpening: SHOP_DAY.donorsAtOpening });
  let pending: DonorVisit | undefined = donors.next().value ?? undefined;
  /** Grams come in and owed to each destination, by category (carried over the night, and while too light to weigh). */
  const owed = new Map<string, OutgoingLoad>();
  const comeIn = (visit: DonorVisit) => {
    for (const w of visit.weighings) {
      for (const part of destinationsOf(w.categoryId, Math.round(w.kg * 1000))) {
        const key = `${part.category}/${part.destination}`;
        const sum = owed.get(key);
        owed.set(key, sum ? { ...sum, grams: sum.grams + part.grams } : part);
      }
    }
  };
  const goOut = (): OutgoingLoad[] => {
    const loads = [...owed.values()].filter((l) => l.grams >= MIN_LOAD_GRAMS);
    for (const l of loads) owed.delete(`${l.category}/${l.destination}`);
    return loads;
  };
  for (let day = 0; day < days; day++) {
    const visits: DonorVisit[] = [];
    while (pending && pending.day === day) {
      visits.push({ ...pending, arrivalMs: day * cycleMs + (pending.arrivalMs - day * openMs) });
      pending = donors.next().value ?? undefined;
    }
    let next = 0;
    const out: DonorVisit[] = [];
    for (const h of sortieHours) {
      const atMs = day * cycleMs + h * HOUR_MS;
      for (; next < visits.length && visits[next]!.arrivalMs < atMs; next++) comeIn(visits[next]!);
      out.push(...sortieBons(goOut(), day, atMs));
    }
    for (; next < visits.length; next++) comeIn(visits[next]!);
    yield* [...visits, ...out].sort((a, b) => a.arrivalMs - b.arrivalMs);
  }
}
