import { categoryResolver } from '../../protocol/taxonomy.js';
import { ROLLUPS } from '../../storage/rollups.js';
import type { Range } from '../queries/periods.js';
import { rollupSums } from '../queries/rollup-sums.js';
import type { Scope } from '../queries/scope.js';
import { Grams, inListOrder, ratio, valorisedDestinations } from './grams.js';
import type { ReportDeps } from './report-deps.js';
import type { ValorisationByCategory } from './report-types.js';

export interface Valorisation {
  destinations: string[];
  totals: Omit<ValorisationByCategory, 'category'>;
  byCategory: ValorisationByCategory[];
}

/**
 * Valorisation rate = outgoing kilograms to valorised destinations (reuse, gift, recycling: the taxonomy's
 * `valorised`) / kilograms collected, overall and per category, over a range.
 */
export async function valorisation(deps: ReportDeps, scope: Scope, range: Range): Promise<Valorisation> {
  const current = categoryResolver(deps.taxonomy);
  const rows = await rollupSums(deps.influx, { rollup: ROLLUPS.weighingsByCategory, scope, ...range, fields: ['net_kg'], groupBy: ['direction', 'category', 'destination'], per: 'total' });
  const valorised = valorisedDestinations(deps.taxonomy);
  const collected = new Grams().addRows(rows.filter((r) => r.tags.direction === 'in'), (r) => current(r.tags.category!));
  const out = rows.filter((r) => r.tags.direction === 'out');
  const outCell = new Grams().addRows(out, (r) => `${current(r.tags.category!)}|${r.tags.destination}`);
  const outByDestination = new Grams().addRows(out, (r) => r.tags.destination!);
  const outByCategory = new Grams().addRows(out, (r) => current(r.tags.category!));
  const destinations = inListOrder(outByDestination.keys(), deps.taxonomy.destinations);
  const categories = inListOrder([...collected.keys(), ...outByCategory.keys()], deps.taxonomy.categories);

  const line = (collectedG: number, byDestinationG: (d: string) => number) => {
    let outG = 0;
    let valorisedG = 0;
    const byDestination: Record<string, number> = {};
    for (const d of destinations) {
      const g = byDestinationG(d);
      byDestination[d] = g / 1000;
      outG += g;
      if (valorised.has(d)) valorisedG += g;
    }
    return { collectedKg: collectedG / 1000, byDestination, outKg: outG / 1000, valorisedKg: valorisedG / 1000, rate: ratio(valorisedG, collectedG) };
  };
  return {
    destinations,
    totals: line(collected.totalGrams(), (d) => outByDestination.grams(d)),
    byCategory: categories.map((category) => ({ category, ...line(collected.grams(category), (d) => outCell.grams(`${category}|${d}`)) })),
  };
}
