import type { FastifyInstance, FastifyReply } from 'fastify';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { slug } from '../../protocol/index.js';
import type { SiteConfig } from '../../runtime/connections.js';
import { bucketSchema } from '../queries/periods.js';
import type { Scope } from '../queries/scope.js';
import { bilanReport } from '../reports/bilan.js';
import { collecteReport } from '../reports/collecte.js';
import { frequentationReport } from '../reports/frequentation.js';
import type { ReportDeps } from '../reports/report-deps.js';
import { sortiesReport } from '../reports/sorties.js';
import { bilanTables, collecteTables, frequentationTables, sortiesTables, toCsv, type Lang, type Table } from '../reports/tables.js';
import { todayReport } from '../reports/today.js';
import { influxUnavailable, parseQuery } from './query-errors.js';

/** Five years: a comparison of several years by month, bounded so that a typo cannot ask for a century. */
export const MAX_RANGE_DAYS = 5 * 366;
export const NETWORK = '*';

export interface ReportsApiDeps extends ReportDeps {
  /** The sites this server shows, the home site first. */
  sites: SiteConfig[];
}

const isoDate = z
  .string({ error: (iss) => (iss.input === undefined ? 'is required, as YYYY-MM-DD' : 'must be one date YYYY-MM-DD') })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a date YYYY-MM-DD', abort: true })
  .refine((s) => DateTime.fromISO(s, { zone: 'utc' }).isValid, 'is not a calendar date');

export const scopeParam = z.union([slug, z.literal(NETWORK)], { error: `must be a site id or "${NETWORK}" for the whole network` }).optional();
const exportParams = {
  format: z.enum(['json', 'csv']).default('json'),
  /** Which of the report's tables the CSV holds. */
  table: z.string().max(40).optional(),
  lang: z.enum(['fr', 'en']).default('fr'),
};

const rangeQuerySchema = z
  .object({ site: scopeParam, from: isoDate, to: isoDate, bucket: bucketSchema.default('day'), ...exportParams })
  .strict()
  .superRefine((q, ctx) => {
    const span = DateTime.fromISO(q.to, { zone: 'utc' }).diff(DateTime.fromISO(q.from, { zone: 'utc' }), 'days').days + 1;
    if (span < 1) ctx.addIssue({ code: 'custom', path: ['to'], message: `must not be before from (${q.from})` });
    else if (span > MAX_RANGE_DAYS) ctx.addIssue({ code: 'custom', path: ['to'], message: `the range covers ${span} days; at most ${MAX_RANGE_DAYS} are allowed` });
  });

const bilanQuerySchema = z.object({ site: scopeParam, year: z.coerce.number().int().min(2000).max(2100), ...exportParams }).strict();
const todayQuerySchema = z.object({ site: scopeParam }).strict();

/** The sites a `site` parameter names; answers 404 and returns undefined for a site this server does not show. */
export function resolveScope(requested: string | undefined, sites: SiteConfig[], reply: FastifyReply): Scope | undefined {
  if (requested === NETWORK) return { id: NETWORK, sites };
  const site = requested === undefined ? sites[0] : sites.find((s) => s.id === requested);
  if (site) return { id: site.id, sites: [site] };
  void reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `site "${requested}" is not served here; sites: ${sites.map((s) => s.id).join(', ')}, or "${NETWORK}" for all` });
  return undefined;
}

/** Answers the JSON report, or one of its tables as CSV (`format=csv&table=…`). */
function send<R>(reply: FastifyReply, report: R, q: { format: 'json' | 'csv'; table?: string | undefined; lang: Lang }, name: string, tables: (r: R, lang: Lang) => Record<string, Table>): FastifyReply | R {
  if (q.format === 'json') return report;
  const all = tables(report, q.lang);
  const tableName = q.table ?? Object.keys(all)[0]!;
  const table = all[tableName];
  if (!table) {
    return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: `table: "${tableName}" is not a table of this report; tables: ${Object.keys(all).join(', ')}`, fields: ['table'] });
  }
  const scope = (report as { scope: string }).scope;
  const file = `trebuchet-${name}-${tableName}-${scope === NETWORK ? 'reseau' : scope}.csv`;
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${file}"`).send(toCsv(table, q.lang));
}

export function registerReports(app: FastifyInstance, deps: ReportsApiDeps): void {
  const ranged = <R>(name: string, build: (scope: Scope, q: z.infer<typeof rangeQuerySchema>) => Promise<R>, tables: (r: R, lang: Lang) => Record<string, Table>) =>
    app.get(`/api/v1/reports/${name}`, async (req, reply) => {
      const q = parseQuery(rangeQuerySchema, req.query, reply);
      const scope = q && resolveScope(q.site, deps.sites, reply);
      if (!q || !scope) return reply;
      try {
        return send(reply, await build(scope, q), q, name, tables);
      } catch (err) {
        return influxUnavailable(reply, req.log, err);
      }
    });

  ranged('collecte', (scope, q) => collecteReport(deps, scope, q, q.bucket), (r, lang) => collecteTables(r, deps.taxonomy, lang));
  ranged('sorties', (scope, q) => sortiesReport(deps, scope, q, q.bucket), (r, lang) => sortiesTables(r, deps.taxonomy, lang));
  ranged('frequentation', (scope, q) => frequentationReport(deps, scope, q, q.bucket), (r, lang) => frequentationTables(r, lang));

  app.get('/api/v1/reports/bilan', async (req, reply) => {
    const q = parseQuery(bilanQuerySchema, req.query, reply);
    const scope = q && resolveScope(q.site, deps.sites, reply);
    if (!q || !scope) return reply;
    try {
      return send(reply, await bilanReport(deps, scope, q.year), q, `bilan-${q.year}`, (r, lang) => bilanTables(r, deps.taxonomy, lang));
    } catch (err) {
      return influxUnavailable(reply, req.log, err);
    }
  });

  app.get('/api/v1/reports/today', async (req, reply) => {
    const q = parseQuery(todayQuerySchema, req.query, reply);
    const scope = q && resolveScope(q.site, deps.sites, reply);
    if (!q || !scope) return reply;
    try {
      return await todayReport(deps, scope);
    } catch (err) {
      return influxUnavailable(reply, req.log, err);
    }
  });
}
