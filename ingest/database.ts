import { DateTime } from 'luxon';
import type { Logger } from '../runtime/log.js';
import { derivedRollupsMissing, rebuildRollups, rollupsMissing, sitesWithData } from '../storage/rollup-rebuild.js';
import type { InfluxStore } from '../storage/store.js';
import { siteTimeZone, type IngestConfig } from './config.js';

/**
 * At start: the database made ready (storage/store.ts prepare: idempotent, so it also repairs a dropped
 * database), and data written before rollups existed, or before some derived rollup did (an upgrade),
 * which would show as zeros, rolled up once in the background.
 */
export async function prepareDatabase(influx: InfluxStore, config: IngestConfig, log: Logger): Promise<void> {
  // Only 1.x has retention policies to look for: 2.x and 3.x installs started with rollups.
  const upgrade = config.influx.version === 1 && (await rollupsMissing(influx, config.influx.database));
  await influx.prepare();
  // Not worth failing a start over: without them a page shows zeros until `trebuchet rollup`.
  const derived = upgrade
    ? []
    : await derivedRollupsMissing(influx).catch((err: Error) => {
        log.warn({ err: err.message }, 'cannot tell which rollups this database lacks; run `trebuchet rollup` after an upgrade');
        return [];
      });
  if (!upgrade && derived.length === 0) return;
  const sites = await sitesWithData(influx);
  if (sites.length === 0) return;
  if (upgrade) log.info({ sites }, 'first start with rollups: building them from the stored data');
  else log.info({ sites, rollups: derived.map((d) => d.measurement) }, 'first start with these rollups: building them from the stored data');
  const range = { from: config.earliestCaptureAt.slice(0, 10), to: DateTime.now().plus({ days: 1 }).toISODate() as string };
  // After an upgrade every rollup; otherwise only those whose derived rows are missing.
  const rollups = upgrade ? undefined : derived.map((d) => d.rollup);
  void rebuildRollups(influx, (site) => siteTimeZone(config, site), sites, range, log, rollups).then(
    () => log.info({ sites }, 'rollups built from the stored data'),
    (err: Error) => log.error({ err: err.message }, 'rollups could not be built from the stored data; run `trebuchet rollup`'),
  );
}
