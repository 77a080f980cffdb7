import type { InfluxDB, IPoint } from 'influx';
import type { Logger } from '../runtime/log.js';
import { rollupStatementsFor } from '../storage/rollups.js';
import { runStatements, ShortRollupError } from '../storage/run-statements.js';

/**
 * Brings the rollups fed by a written batch up to date, before its receipts. Resolves with the points
 * whose rollup InfluxDB ran short: those get no receipt, so their agents resend them and the day is
 * recomputed then. Valid input cannot make a sum overflow (the contract's bounds), so a short rollup means
 * a raw point that came around ingest: an operator must remove it, hence the loud error at every resend.
 * Other failures reject, and the batch is retried.
 */
export async function rollUp(influx: InfluxDB, points: readonly IPoint[], database: string, timeZoneOf: (site: string) => string, log: Logger): Promise<Set<IPoint>> {
  try {
    await runStatements(influx, rollupStatementsFor(points, database, timeZoneOf));
    return new Set();
  } catch (err) {
    if (!(err instanceof ShortRollupError)) throw err;
    const incomplete = new Set(points.filter((p) => err.short.some(({ statement: s }) => s.source === p.measurement && s.site === p.tags?.site)));
    for (const { statement, written, expected } of err.short) {
      log.error(
        { rollup: statement.rollup, site: statement.site, written, expected, receiptsWithheld: incomplete.size },
        'rollup ran short: InfluxDB dropped rows it cannot store (a sum out of range), so the dashboards miss them; no receipt for this batch of the site, its agents will resend. Remove the raw point beyond the contract’s bounds, then run `trebuchet rollup`',
      );
    }
    return incomplete;
  }
}
