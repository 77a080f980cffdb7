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
    let u = rng();
    const [category] = CATEGORIES.find(([, s]) => (u -= s) < 0) ?? CATEGORIES[0]!;
    let v = rng();
    const [destination] = OUT_SHARES.find(([, s]) => (v -= s) < 0) ?? OUT_SHARES[0]!;
    loads.push({ grams, category, destination, ...(destination === 'recyclage' ? { partner: PARTNER_OF[category] ?? 'filiere-metaux' } : {}) });
  }
  return loads;
}

/**
 * Where a category's kilograms go, in OUT_SHARES' proportions (recycling through the category's filière): what
 * a shop day sends out for the goods that came in, so that each category is valorised as docs/domain.md says.
 */
export function destinationsOf(category: string, grams: number): OutgoingLoad[] {
  return OUT_SHARES.map(([destination, share]) => ({
    grams: Math.round(grams * share),
    category,
    destination,
    ...(destination === 'recyclage' ? { partner: PARTNER_OF[category] ?? 'filiere-metaux' } : {}),
  }));
}
