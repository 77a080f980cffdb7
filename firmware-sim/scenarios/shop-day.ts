import { seededRandom } from '../common/sim-device.js';
import { dropoffScenario, type DonorVisit } from './dropoff-scenario.js';
import { sortieLoads, type OutgoingLoad } from './outgoing.js';

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
   * (réemploi), to partners and to the déchetterie. Each time as many kilograms leave as came in meanwhile,
   * so the stock stays level and the day's figures keep docs/domain.md's proportions from the first sortie.
   */
  sortieHours: [0.1, 2.5, 5, 7.5],
} as const;

const HOUR_MS = 3_600_000;
const MIN_LOAD_GRAMS = 300;

const gramsOf = (visit: DonorVisit) => visit.weighings.reduce((g, w) => g + Math.round(w.kg * 1000), 0);

/** One moment's loads as bons de sortie: one per destination (and filière), its lines by category. */
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
    // Loads of one category for one destination go on the scale one by one (a load is at most 60 kg).
    bon.weighings.push({ categoryId: load.category, kg: load.grams / 1000 });
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
  const rng = seededRandom(options.seed ^ 0x5a17);
  const openMs = openHours * HOUR_MS;
  const cycleMs = (openHours + closedHours) * HOUR_MS;
  const donors = dropoffScenario({ seed: options.seed, days, donorsPerHour: donorsPerDay / openHours, openHours, waitingAtOpening: SHOP_DAY.donorsAtOpening });
  let pending: DonorVisit | undefined = donors.next().value ?? undefined;
  /** Grams come in and not gone out yet (carried over the night). */
  let sorted = 0;
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
      for (; next < visits.length && visits[next]!.arrivalMs < atMs; next++) sorted += gramsOf(visits[next]!);
      const loads = sortieLoads(rng, sorted);
      // A scrap too light to weigh waits for the next sortie.
      const weighable = loads.filter((l) => l.grams >= MIN_LOAD_GRAMS);
      sorted = loads.reduce((g, l) => g + (l.grams < MIN_LOAD_GRAMS ? l.grams : 0), 0);
      out.push(...sortieBons(weighable, day, atMs));
    }
    for (; next < visits.length; next++) sorted += gramsOf(visits[next]!);
    yield* [...visits, ...out].sort((a, b) => a.arrivalMs - b.arrivalMs);
  }
}
