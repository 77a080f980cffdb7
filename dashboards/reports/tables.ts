import type { Taxonomy } from '../../protocol/taxonomy.js';
import type { BilanReport, CollecteReport, FrequentationReport, SortiesReport, ValorisationByCategory } from './report-types.js';

export type Lang = 'fr' | 'en';

/** One downloadable table: what a chart draws, as rows. Numbers stay numbers until the CSV is written. */
export interface Table {
  columns: string[];
  rows: (string | number | null)[][];
}

const WEEKDAYS = { fr: ['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi', 'dimanche'], en: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] };

const T = {
  start: { fr: 'Début', en: 'Start' },
  total: { fr: 'Total (kg)', en: 'Total (kg)' },
  kg: { fr: 'kg', en: 'kg' },
  category: { fr: 'Catégorie', en: 'Category' },
  collectType: { fr: 'Type de collecte', en: 'Collect type' },
  district: { fr: 'Provenance', en: 'District' },
  destination: { fr: 'Destination', en: 'Destination' },
  partner: { fr: 'Filière', en: 'Partner' },
  previous: { fr: 'Période précédente (kg)', en: 'Previous period (kg)' },
  lastYear: { fr: "L'an dernier (kg)", en: 'Last year (kg)' },
  collected: { fr: 'Collecté (kg)', en: 'Collected (kg)' },
  out: { fr: 'Sorti (kg)', en: 'Out (kg)' },
  valorised: { fr: 'Valorisé (kg)', en: 'Valorised (kg)' },
  rate: { fr: 'Taux de valorisation (%)', en: 'Valorisation rate (%)' },
  visitors: { fr: 'Visiteurs', en: 'Visitors' },
  lastYearStart: { fr: "Début l'an dernier", en: 'Start last year' },
  lastYearVisitors: { fr: "Visiteurs l'an dernier", en: 'Visitors last year' },
  weekday: { fr: 'Jour', en: 'Day' },
  days: { fr: 'Nombre de jours', en: 'Days' },
  average: { fr: 'Moyenne par jour', en: 'Average per day' },
  bons: { fr: 'Bons', en: 'Slips' },
  figure: { fr: 'Indicateur', en: 'Figure' },
  value: { fr: 'Valeur', en: 'Value' },
  allCategories: { fr: 'Total', en: 'Total' },
  none: { fr: '(non renseigné)', en: '(not given)' },
  customers: { fr: 'Clients (entrées comptées)', en: 'Customers (counted entries)' },
  bonsIn: { fr: "Bons d'apport validés", en: 'Drop-off slips closed' },
  bonsOut: { fr: 'Bons de sortie validés', en: 'Outgoing slips closed' },
  bonsAbandoned: { fr: 'Bons abandonnés', en: 'Slips abandoned' },
} as const;

/** The label of a taxonomy id in a language; the id itself for one the taxonomy no longer lists, `(non renseigné)` for none. */
export function labeller(taxonomy: Taxonomy, lang: Lang) {
  const of = (list: readonly { id: string; label: { fr: string; en: string } }[]) => (id: string) =>
    id === '' ? T.none[lang] : (list.find((x) => x.id === id)?.label[lang] ?? id);
  return {
    category: of(taxonomy.categories),
    collectType: of(taxonomy.collectTypes),
    destination: of(taxonomy.destinations),
    partner: of(taxonomy.partners),
    district: of(taxonomy.districts),
  };
}

const percent = (rate: number | null) => (rate === null ? null : Math.round(rate * 10_000) / 100);

function valorisationTable(lang: Lang, label: ReturnType<typeof labeller>, destinations: string[], lines: ValorisationByCategory[], totals: Omit<ValorisationByCategory, 'category'>): Table {
  const row = (name: string, v: Omit<ValorisationByCategory, 'category'>) => [name, v.collectedKg, ...destinations.map((d) => v.byDestination[d] ?? 0), v.outKg, v.valorisedKg, percent(v.rate)];
  return {
    columns: [T.category[lang], T.collected[lang], ...destinations.map((d) => `${label.destination(d)} (kg)`), T.out[lang], T.valorised[lang], T.rate[lang]],
    rows: [...lines.map((l) => row(label.category(l.category), l)), row(T.allCategories[lang], totals)],
  };
}

export function collecteTables(r: CollecteReport, taxonomy: Taxonomy, lang: Lang): Record<string, Table> {
  const label = labeller(taxonomy, lang);
  return {
    periodes: {
      columns: [T.start[lang], ...r.categories.map((c) => `${label.category(c)} (kg)`), T.total[lang]],
      rows: r.buckets.map((b) => [b.start, ...r.categories.map((c) => b.byCategory[c] ?? 0), b.totalKg]),
    },
    categories: {
      columns: [T.category[lang], T.kg[lang], T.previous[lang], T.lastYear[lang]],
      rows: [
        ...r.categories.map((c) => [label.category(c), r.totals.byCategory[c] ?? 0, r.previous.byCategory[c] ?? 0, r.lastYear.byCategory[c] ?? 0]),
        [T.allCategories[lang], r.totals.kg, r.previous.kg, r.lastYear.kg],
      ],
    },
    'types-de-collecte': { columns: [T.collectType[lang], T.kg[lang]], rows: Object.entries(r.byCollectType).map(([id, kg]) => [label.collectType(id), kg]) },
    provenances: { columns: [T.district[lang], T.kg[lang]], rows: Object.entries(r.byDistrict).map(([id, kg]) => [label.district(id), kg]) },
  };
}

export function sortiesTables(r: SortiesReport, taxonomy: Taxonomy, lang: Lang): Record<string, Table> {
  const label = labeller(taxonomy, lang);
  const { byCategory, ...totals } = r.valorisation;
  return {
    periodes: {
      columns: [T.start[lang], ...r.destinations.map((d) => `${label.destination(d)} (kg)`), T.total[lang]],
      rows: r.buckets.map((b) => [b.start, ...r.destinations.map((d) => b.byDestination[d] ?? 0), b.totalKg]),
    },
    filieres: { columns: [T.destination[lang], T.partner[lang], T.kg[lang]], rows: r.byPartner.map((p) => [label.destination(p.destination), label.partner(p.partner), p.kg]) },
    valorisation: valorisationTable(lang, label, r.destinations, byCategory, totals),
  };
}

export function frequentationTables(r: FrequentationReport, lang: Lang): Record<string, Table> {
  return {
    periodes: {
      columns: [T.start[lang], T.visitors[lang], T.lastYearStart[lang], T.lastYearVisitors[lang]],
      rows: r.buckets.map((b, i) => [b.start, b.visitors, r.lastYear.buckets[i]?.start ?? null, r.lastYear.buckets[i]?.visitors ?? null]),
    },
    heures: {
      columns: [T.weekday[lang], ...Array.from({ length: 24 }, (_, h) => `${h} h`)],
      rows: r.heatmap.map((hours, w) => [WEEKDAYS[lang][w]!, ...hours]),
    },
    'jours-de-semaine': {
      columns: [T.weekday[lang], T.days[lang], T.visitors[lang], T.average[lang]],
      rows: r.byWeekday.map((w) => [WEEKDAYS[lang][w.weekday]!, w.days, w.visitors, w.average]),
    },
  };
}

export function bilanTables(r: BilanReport, taxonomy: Taxonomy, lang: Lang): Record<string, Table> {
  const label = labeller(taxonomy, lang);
  return {
    bilan: valorisationTable(lang, label, r.destinations, r.categories, r.totals),
    collectes: { columns: [T.collectType[lang], T.bons[lang], T.kg[lang]], rows: r.collectTypes.map((c) => [label.collectType(c.collectType), c.bons, c.kg]) },
    resume: {
      columns: [T.figure[lang], T.value[lang]],
      rows: [
        [T.collected[lang], r.totals.collectedKg],
        [T.valorised[lang], r.totals.valorisedKg],
        [T.rate[lang], percent(r.totals.rate)],
        [T.customers[lang], r.customers],
        [T.bonsIn[lang], r.bons.in],
        [T.bonsOut[lang], r.bons.out],
        [T.bonsAbandoned[lang], r.bons.abandoned],
      ],
    },
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
