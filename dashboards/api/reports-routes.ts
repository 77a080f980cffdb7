import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SiteConfig } from '../../runtime/connections.js';
import { NETWORK } from '../queries/scope.js';
import { REPORTS } from '../reports/index.js';
import type { ReportDefinition, ReportQuery } from '../reports/report.js';
import type { ReportDeps } from '../reports/report-deps.js';
import type { ReportName, ReportTypes } from '../reports/report-types.js';
import { toCsv } from '../reports/tables.js';
import { influxUnavailable, parseQuery, resolveScope } from './query-errors.js';

export interface ReportsApiDeps extends ReportDeps {
  /** The sites this server shows, the home site first. */
  sites: SiteConfig[];
}

/** Answers one of the report's tables as CSV (`format=csv&table=…`, its first table by default). */
function sendCsv(reply: FastifyReply, def: ReportDefinition, report: ReportTypes[ReportName], q: ReportQuery, deps: ReportsApiDeps): FastifyReply {
  const lang = q.lang ?? 'fr';
  const all = def.tables?.(report, { taxonomy: deps.taxonomy, lang }) ?? {};
  const tableName = q.table ?? Object.keys(all)[0] ?? '';
  const table = all[tableName];
  if (!table) {
    return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: `table: "${tableName}" is not a table of this report; tables: ${Object.keys(all).join(', ')}`, fields: ['table'] });
  }
  const file = `trebuchet-${def.fileName?.(q) ?? def.name}-${tableName}-${report.scope === NETWORK ? 'reseau' : report.scope}.csv`;
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${file}"`).send(toCsv(table, lang));
}

/** `reports/{name}` for every report of reports/index.ts: its JSON, or one of its tables as CSV. */
export async function reportsRoutes(app: FastifyInstance, deps: ReportsApiDeps): Promise<void> {
  for (const def of REPORTS) {
    app.get(`/reports/${def.name}`, async (req, reply) => {
      const q = parseQuery(def.query, req.query, reply);
      const scope = q && resolveScope(q.site, deps.sites, reply);
      if (!q || !scope) return reply;
      let report: ReportTypes[ReportName];
      try {
        report = await def.build(deps, scope, q);
      } catch (err) {
        return influxUnavailable(reply, req.log, err);
      }
      return q.format === 'csv' ? sendCsv(reply, def, report, q, deps) : report;
    });
  }
}
