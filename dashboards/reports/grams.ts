import { kgToGrams } from '../../protocol/index.js';
import type { Taxonomy } from '../../protocol/taxonomy.js';
import type { SumsRow } from '../queries/rollup-sums.js';

/**
 * Integer grams keyed by a string: every figure of a report is added up in grams, so that totals are
 * exact and a sum of rows equals the total row; kilograms appear only in the output.
 */
export class Grams {
  private readonly map = new Map<string, number>();

  add(key: string, kg: number): void {
    this.map.set(key, (this.map.get(key) ?? 0) + kgToGrams(kg));
  }

  addRows(rows: readonly SumsRow[], key: (row: SumsRow) => string, field = 'net_kg'): this {
    for (const r of rows) this.add(key(r), r.values[field] ?? 0);
    return this;
  }

  grams(key: string): number {
    return this.map.get(key) ?? 0;
  }

  kg(key: string): number {
    return this.grams(key) / 1000;
  }

  totalGrams(): number {
    let g = 0;
    for (const v of this.map.values()) g += v;
    return g;
  }

  /** Keys with a non-zero sum. */
  keys(): string[] {
    return [...this.map].filter(([, g]) => g !== 0).map(([k]) => k);
  }

  /** `{ key: kg }` for the given keys (zeros included). */
  record(keys: readonly string[]): Record<string, number> {
    return Object.fromEntries(keys.map((k) => [k, this.kg(k)]));
  }
}

/** Ids in the order of a taxonomy list, then ids it does not know (old data), by id. */
export function inListOrder(ids: Iterable<string>, list: readonly { id: string }[]): string[] {
  const order = new Map(list.map((x, i) => [x.id, i]));
  return [...new Set(ids)].sort((a, b) => {
    const ia = order.get(a) ?? Infinity;
    const ib = order.get(b) ?? Infinity;
    return ia === ib ? a.localeCompare(b) : ia - ib;
  });
}

export function valorisedDestinations(taxonomy: Taxonomy): Set<string> {
  return new Set(taxonomy.destinations.filter((d) => d.valorised).map((d) => d.id));
}

/** Lines counted from `n` split by `entry`: a void entry cancels one line. */
export function netLines(rows: readonly SumsRow[]): number {
  let n = 0;
  for (const r of rows) n += (r.tags.entry === 'void' ? -1 : 1) * (r.values.n ?? 0);
  return n;
}

/** a / b, null when b is zero; rounded to 4 decimals (a rate shown as a percentage with 2). */
export function ratio(a: number, b: number): number | null {
  return b === 0 ? null : Math.round((a / b) * 10_000) / 10_000;
}
