import { escape } from 'influx';
import { z } from 'zod';
import type { Logger } from '../runtime/log.js';
import { MEASUREMENT } from './points.js';
import { ROLLUP_RETENTION_POLICY, ROLLUPS } from './rollups.js';
import { clientHttpStatus } from './backends/http-status.js';
import type { InfluxStore } from './store.js';

/**
 * What of InfluxQL the rollups and the reports rely on, each tried alone so that a backend lacking one
 * is told which (InfluxQL on 3.x is a reimplementation, and not every version has every clause).
 */
const FEATURES: { name: string; statement: string; fix: string }[] = [
  { name: 'sum()', statement: `SELECT sum("net_kg") FROM ${escape.quoted(MEASUREMENT.weighing)} WHERE time > now() - 1h`, fix: 'every report sums kilograms' },
  { name: 'count()', statement: `SELECT count("net_kg") FROM ${escape.quoted(MEASUREMENT.weighing)} WHERE time > now() - 1h`, fix: 'the reports count lines and bons' },
  {
    name: 'GROUP BY time(1d) fill(none)',
    statement: `SELECT sum("net_kg") FROM ${escape.quoted(MEASUREMENT.weighing)} WHERE time > now() - 1h GROUP BY time(1d), "site" fill(none)`,
    fix: 'the rollups are daily and hourly sums',
  },
  {
    name: "tz('Europe/Paris')",
    statement: `SELECT sum("net_kg") FROM ${escape.quoted(MEASUREMENT.weighing)} WHERE time > now() - 1h GROUP BY time(1d) fill(none) tz('Europe/Paris')`,
    fix: 'days are cut on local midnights; without tz() every day would be a UTC day',
  },
  {
    name: 'a retention policy in FROM ("rollups"."…")',
    statement: `SELECT * FROM ${escape.quoted(ROLLUP_RETENTION_POLICY)}.${escape.quoted(ROLLUPS.visits.name)} WHERE time > now() - 1h`,
    fix: 'the dashboards read the rollups this way (on 2.x, a DBRP mapping; on 3.x, the database name/rollups)',
  },
];

const resultsSchema = z.object({ results: z.array(z.object({ error: z.string().optional(), series: z.array(z.object({ name: z.string() })).optional() })) });

/** The measurement a feature's statement reads: an answer about anything else is not an answer to it. */
const measurementOf = (statement: string) => /FROM (?:"[^"]+"\.)?"([^"]+)"/.exec(statement)?.[1];

/** An error that says only that nothing is stored yet: the statement itself ran. */
const nothingYet = (error: string) => /not found|does not exist|no such|unknown table/i.test(error);

/**
 * Tries each InfluxQL feature we use and logs an error for each the backend refuses, naming it, what
 * needs it and what to do. Resolves with the features missing. An InfluxDB not answering is not this
 * check's business: the writes and queries report it.
 */
export async function checkInfluxQLFunctions(store: InfluxStore, log: Logger): Promise<string[]> {
  const missing: string[] = [];
  for (const f of FEATURES) {
    let error: string | undefined;
    try {
      const parsed = resultsSchema.safeParse(await store.queryRaw(f.statement));
      error = parsed.success ? parsed.data.results.find((r) => r.error)?.error : 'unexpected answer';
      const other = parsed.success ? parsed.data.results.flatMap((r) => r.series ?? []).find((x) => x.name !== measurementOf(f.statement)) : undefined;
      if (other) {
        // VictoriaMetrics, for one, answers every InfluxQL query with its list of databases.
        log.error(
          { influx: store.describe, answered: other.name },
          `ce serveur ne répond pas aux SELECT InfluxQL / this server does not run InfluxQL SELECTs (it answered with series "${other.name}"): the dashboards and rollups cannot read it. Use InfluxDB 1.x, 2.x (v1 compatibility API) or 3.x`,
        );
        return FEATURES.map((x) => x.name);
      }
    } catch (err) {
      // The client's HttpError, or node-influx's error with the response it got.
      const status = clientHttpStatus(err) ?? (err as { res?: { statusCode?: number } }).res?.statusCode;
      if (status === 404) {
        // No InfluxQL at all: one error for the whole server, not one per function.
        log.error(
          { influx: store.describe, status },
          'ce serveur n’a pas de /query (InfluxQL) / this server has no InfluxQL /query endpoint: the dashboards and rollups cannot read it. InfluxDB 1.x and 3.x serve it; 2.x and Cloud through their v1 compatibility API',
        );
        return FEATURES.map((x) => x.name);
      }
      if (status === undefined || status >= 500 || status === 401 || status === 403) return missing;
      error = (err as Error).message;
    }
    if (!error || nothingYet(error)) continue;
    missing.push(f.name);
    log.error(
      { influx: store.describe, function: f.name, error, needed: f.fix },
      `InfluxDB ne connaît pas ${f.name} / does not run ${f.name}, which the rollups and reports use: use an InfluxDB whose InfluxQL has it (1.x and 2.x do)`,
    );
  }
  return missing;
}
