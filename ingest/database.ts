import type { InfluxDB } from 'influx';
import { DateTime } from 'luxon';
import type { Logger } from '../runtime/log.js';
import { rebuildRollups, rollupsMissing, sitesWithData } from '../storage/rollup-rebuild.js';
import { createRollupRetentionPolicy } from '../storage/rollups.js';
import { runStatements } from '../storage/run-statements.js';
import { siteTimeZone, type IngestConfig } from './config.js';

/** Creates the database and the rollups' retention policy; idempotent, so it also repairs a dropped database. */
export async function ensureDatabase(influx: InfluxDB, database: string): Promise<void> {
  await influx.createDatabase(database);
  await runStatements(influx, [createRollupRetentionPolicy(database)]);
}

/**
 * At start: the database made ready, and data written before rollups existed (an upgrade), which would
 * show as zeros, rolled up once in the background.
 */
export async function prepareDatabase(influx: InfluxDB, config: IngestConfig, log: Logger): Promise<void> {
  const upgrade = await rollupsMissing(influx, config.influx.database);
  await ensureDatabase(influx, config.influx.database);
  if (!upgrade) return;
  const sites = await sitesWithData(influx);
  if (sites.length === 0) return;
  log.info({ sites }, 'first start with rollups: building them from the stored data');
  const range = { from: config.earliestCaptureAt.slice(0, 10), to: DateTime.now().plus({ days: 1 }).toISODate() as string };
  void rebuildRollups(influx, config.influx.database, (site) => siteTimeZone(config, site), sites, range, log).then(
    () => log.info({ sites }, 'rollups built from the stored data'),
    (err: Error) => log.error({ err: err.message }, 'rollups could not be built from the stored data; run `trebuchet rollup`'),
  );
}
