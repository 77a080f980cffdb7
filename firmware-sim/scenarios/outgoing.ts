import { CATEGORY_SHARES } from './dropoff-scenario.js';

/** Where what leaves goes, by share of the kilograms (docs/domain.md: 60 % reused — sold or given —, 31 % recycled, 9 % discarded). */
export const OUT_SHARES: readonly [string, number][] = [
  ['reemploi', 0.5],
  ['don', 0.1],
  ['recyclage', 0.31],
  ['decheterie', 0.09],
];

/** The recycling channel (filière) of a category; metal for the rest. */
export const PARTNER_OF: Readonly<Record<string, string>> = { textile: 'filiere-textile', deee: 'filiere-deee', livres: 'filiere-livres' };

export interface OutgoingLoad {
  grams: number;
  category: string;
  destination: string;
  partner?: string;
}

const CATEGORIES = Object.entries(CATEGORY_SHARES);
const MAX_LOAD_GRAMS = 60_000;

function drawCategory(rng: () => number): string {
  let u = rng();
  return (CATEGORIES.find(([, s]) => (u -= s) < 0) ?? CATEGORIES[0]!)[0];
}

/**
 * `totalGrams` of outgoing goods in loads of 10–60 kg, each of a category drawn by its share of what comes in
 * and sent to a destination drawn by OUT_SHARES (recycling through the category's filière).
 */
export function outgoingLoads(rng: () => number, totalGrams: number): OutgoingLoad[] {
  const loads: OutgoingLoad[] = [];
  let left = totalGrams;
  while (left > 0) {
    const grams = Math.min(left, Math.max(1, Math.round((10 + rng() * 50) * 1000)));
    left -= grams;
    const category = drawCategory(rng);
    let v = rng();
    const [destination] = OUT_SHARES.find(([, s]) => (v -= s) < 0) ?? OUT_SHARES[0]!;
    loads.push({ grams, category, destination, ...(destination === 'recyclage' ? { partner: PARTNER_OF[category] ?? 'filiere-metaux' } : {}) });
  }
  return loads;
}

/**
 * `totalGrams` leaving at one moment of a shop day, split by destination in OUT_SHARES' proportions (so that
 * even a small sortie has the valorisation rate of docs/domain.md), each destination's part cut in loads of
 * at most 60 kg of a drawn category.
 */
export function sortieLoads(rng: () => number, totalGrams: number): OutgoingLoad[] {
  const loads: OutgoingLoad[] = [];
  for (const [destination, share] of OUT_SHARES) {
    let left = Math.round(totalGrams * share);
    while (left > 0) {
      const grams = Math.min(left, MAX_LOAD_GRAMS);
      left -= grams;
      const category = drawCategory(rng);
      loads.push({ grams, category, destination, ...(destination === 'recyclage' ? { partner: PARTNER_OF[category] ?? 'filiere-metaux' } : {}) });
    }
  }
  return loads;
}
