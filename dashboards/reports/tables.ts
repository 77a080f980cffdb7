import type { Taxonomy } from '../../protocol/taxonomy.js';
import type { ValorisationByCategory } from './report-types.js';

export type Lang = 'fr' | 'en';

/** One downloadable table: what a chart draws, as rows. Numbers stay numbers until the CSV is written. */
export interface Table {
  columns: string[];
  rows: (string | number | null)[][];
}

/** The column labels reports share; each report module adds its own to these. */
export const LABELS = {
  start: { fr: 'Début', en: 'Start' },
  total: { fr: 'Total (kg)', en: 'Total (kg)' },
  kg: { fr: 'kg', en: 'kg' },
  category: { fr: 'Catégorie', en: 'Category' },
  collectType: { fr: 'Type de collecte', en: 'Collect type' },
  collected: { fr: 'Collecté (kg)', en: 'Collected (kg)' },
  out: { fr: 'Sorti (kg)', en: 'Out (kg)' },
  valorised: { fr: 'Valorisé (kg)', en: 'Valorised (kg)' },
  rate: { fr: 'Taux de valorisation (%)', en: 'Valorisation rate (%)' },
  allCategories: { fr: 'Total', en: 'Total' },
  none: { fr: '(non renseigné)', en: '(not given)' },
} as const satisfies Record<string, Record<Lang, string>>;

/** The label of a taxonomy id in a language; the id itself for one the taxonomy no longer lists, `(non renseigné)` for none. */
export function labeller(taxonomy: Taxonomy, lang: Lang) {
  const of = (list: readonly { id: string; label: { fr: string; en: string } }[]) => (id: string) =>
    id === '' ? LABELS.none[lang] : (list.find((x) => x.id === id)?.label[lang] ?? id);
  return {
    category: of(taxonomy.categories),
    collectType: of(taxonomy.collectTypes),
    destination: of(taxonomy.destinations),
    partner: of(taxonomy.partners),
    district: of(taxonomy.districts),
  };
}

export const percent = (rate: number | null) => (rate === null ? null : Math.round(rate * 10_000) / 100);

/** Valorisation by category and destination: the funder's table, in Sorties and in the Bilan. */
export function valorisationTable(lang: Lang, label: ReturnType<typeof labeller>, destinations: string[], lines: ValorisationByCategory[], totals: Omit<ValorisationByCategory, 'category'>): Table {
  const row = (name: string, v: Omit<ValorisationByCategory, 'category'>) => [name, v.collectedKg, ...destinations.map((d) => v.byDestination[d] ?? 0), v.outKg, v.valorisedKg, percent(v.rate)];
  return {
    columns: [LABELS.category[lang], LABELS.collected[lang], ...destinations.map((d) => `${label.destination(d)} (kg)`), LABELS.out[lang], LABELS.valorised[lang], LABELS.rate[lang]],
    rows: [...lines.map((l) => row(label.category(l.category), l)), row(LABELS.allCategories[lang], totals)],
  };
}

/**
 * CSV as French spreadsheets open it without an import dialog: `;` between fields, a decimal comma in
 * French (a point in English, with `,`), CRLF, and a UTF-8 BOM so that accents survive Excel.
 */
export function toCsv(table: Table, lang: Lang): string {
  const sep = lang === 'fr' ? ';' : ',';
  const cell = (v: string | number | null) => {
    if (v === null) return '';
    const s = typeof v === 'number' ? (lang === 'fr' ? String(v).replace('.', ',') : String(v)) : v;
    return /[";,\r\n]/.test(s) && typeof v !== 'number' ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return '\uFEFF' + [table.columns, ...table.rows].map((row) => row.map(cell).join(sep)).join('\r\n') + '\r\n';
}
