import { DateTime } from 'luxon';
import type { Logger } from '../runtime/log.js';
import { rebuildRollups, rollupsMissing, sitesWithData } from '../storage/rollup-rebuild.js';
import type { InfluxStore } from '../storage/store.js';
import { siteTimeZone, type IngestConfig } from './config.js';

/**
 * At start: the database made ready (storage/store.ts prepare: idempotent, so it also repairs a dropped
 * database), and data written before rollups existed (an upgrade), which would
 * show as zeros, rolled up once in the background.
 */
export async function prepareDatabase(influx: InfluxStore, config: IngestConfig, log: Logger): Promise<void> {
  // Only 1.x has retention policies to look for: 2.x and 3.x installs start with this version's rollups.
  const upgrade = config.influx.version === 1 && (await rollupsMissing(influx, config.influx.database));
  await influx.prepare();
  if (!upgrade) return;
  const sites = await sitesWithData(influx);
  if (sites.length === 0) return;
  log.info({ sites }, 'first start with rollups: building them from the stored data');
  const range = { from: config.earliestCaptureAt.slice(0, 10), to: DateTime.now().plus({ days: 1 }).toISODate() as string };
  void rebuildRollups(influx, (site) => siteTimeZone(config, site), sites, range, log).then(
    () => log.info({ sites }, 'rollups built from the stored data'),
    (err: Error) => log.error({ err: err.message }, 'rollups could not be built from the stored data; run `trebuchet rollup`'),
  );
}
