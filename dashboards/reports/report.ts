import { DateTime } from 'luxon';
import { z } from 'zod';
import { slug } from '../../protocol/index.js';
import type { Taxonomy } from '../../protocol/taxonomy.js';
import { bucketSchema } from '../queries/periods.js';
import { NETWORK, type Scope } from '../queries/scope.js';
import type { ReportDeps } from './report-deps.js';
import type { ReportName, ReportTypes } from './report-types.js';
import type { Lang, Table } from './tables.js';

/** What a report's query may hold beside its own parameters: the scope, and for one with tables, the CSV export's. */
export interface ReportQuery {
  site?: string | undefined;
  format?: 'json' | 'csv';
  table?: string | undefined;
  lang?: Lang;
}

/**
 * One report of the API (`/api/v1/reports/{name}`), all that its routes are made from. A new report is a
 * module exporting one of these, its JSON shape in report-types.ts, and a line in index.ts.
 */
export interface ReportDefinition<N extends ReportName = ReportName, Q extends ReportQuery = ReportQuery> {
  /** The URL slug; the CSV files are named after it. */
  name: N;
  /** The query string, strict: an unknown parameter is refused with the allowed ones. */
  query: z.ZodType<Q>;
  // Methods rather than function properties, so that the list of reports, each with its own query, is one
  // type: each is only ever given what its own schema parsed.
  build(deps: ReportDeps, scope: Scope, query: Q): Promise<ReportTypes[N]>;
  /** The tables of its CSV export (`format=csv&table=…`), the first one by default; without, JSON only. */
  tables?(report: ReportTypes[N], ctx: { taxonomy: Taxonomy; lang: Lang }): Record<string, Table>;
  /** What its CSV files are named after when the name is not enough (the year of a bilan). */
  fileName?(query: Q): string;
}

/** Five years: a comparison of several years by month, bounded so that a typo cannot ask for a century. */
const MAX_RANGE_DAYS = 5 * 366;

const isoDate = z
  .string({ error: (iss) => (iss.input === undefined ? 'is required, as YYYY-MM-DD' : 'must be one date YYYY-MM-DD') })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a date YYYY-MM-DD', abort: true })
  .refine((s) => DateTime.fromISO(s, { zone: 'utc' }).isValid, 'is not a calendar date');

export const scopeParam = z.union([slug, z.literal(NETWORK)], { error: `must be a site id or "${NETWORK}" for the whole network` }).optional();

/** The parameters of a report with tables: JSON, or one of its tables as CSV in a language. */
export const exportParams = {
  format: z.enum(['json', 'csv']).default('json'),
  /** Which of the report's tables the CSV holds. */
  table: z.string().max(40).optional(),
  lang: z.enum(['fr', 'en']).default('fr'),
};

/** The query of the reports over a range of local dates, bucketed: Collecte, Sorties, Fréquentation. */
export const rangeQuery = z
  .object({ site: scopeParam, from: isoDate, to: isoDate, bucket: bucketSchema.default('day'), ...exportParams })
  .strict()
  .superRefine((q, ctx) => {
    const span = DateTime.fromISO(q.to, { zone: 'utc' }).diff(DateTime.fromISO(q.from, { zone: 'utc' }), 'days').days + 1;
    if (span < 1) ctx.addIssue({ code: 'custom', path: ['to'], message: `must not be before from (${q.from})` });
    else if (span > MAX_RANGE_DAYS) ctx.addIssue({ code: 'custom', path: ['to'], message: `the range covers ${span} days; at most ${MAX_RANGE_DAYS} are allowed` });
  });
export type RangeQuery = z.infer<typeof rangeQuery>;
