import { DateTime } from 'luxon';
import { z } from 'zod';
import type { Logger } from '../runtime/log.js';
import { MEASUREMENT } from './points.js';
import { ALL_ROLLUPS, rebuildSpans, ROLLUP_MEASUREMENTS, ROLLUP_RETENTION_POLICY, type RollupDefinition } from './rollups.js';
import { syncRollups } from './rollup-sync.js';
import type { InfluxStore } from './store.js';

const showSchema = z.object({
  results: z.array(z.object({ series: z.array(z.object({ values: z.array(z.array(z.unknown())) })).optional(), error: z.string().optional() })),
});

async function show(influx: Pick<InfluxStore, 'queryRaw'>, query: string): Promise<unknown[][]> {
  const parsed = showSchema.parse(await influx.queryRaw(query));
  const error = parsed.results.find((r) => r.error)?.error;
  if (error && !error.startsWith('database not found')) throw new Error(error);
  return parsed.results.flatMap((r) => (r.series ?? []).flatMap((s) => s.values));
}

/** Whether the database lacks the rollups' retention policy: a database written by a version without rollups. */
export async function rollupsMissing(influx: Pick<InfluxStore, 'queryRaw'>, database: string): Promise<boolean> {
  const rows = await show(influx, `SHOW RETENTION POLICIES ON "${database}"`);
  return !rows.some((r) => r[0] === ROLLUP_RETENTION_POLICY);
}

/**
 * The derived rollups (storage/rollups.ts) a database lacks while their rollup has rows: a database whose
 * rollups an earlier version built, before those rows existed.
 */
export async function derivedRollupsMissing(influx: Pick<InfluxStore, 'queryRaw'>): Promise<{ rollup: RollupDefinition; measurement: string }[]> {
  const measurements = new Set((await show(influx, 'SHOW MEASUREMENTS')).map((r) => String(r[0])));
  return ROLLUP_MEASUREMENTS.filter((m) => m.measurement !== m.rollup.name && measurements.has(m.rollup.name) && !measurements.has(m.measurement));
}

/** Every site with raw data. */
export async function sitesWithData(influx: Pick<InfluxStore, 'queryRaw'>): Promise<string[]> {
  const rows = await show(influx, `SHOW TAG VALUES FROM "${MEASUREMENT.weighing}", "${MEASUREMENT.visits}", "${MEASUREMENT.bon}" WITH KEY = "site"`);
  return [...new Set(rows.map((r) => String(r[1])))].sort();
}

/**
 * Recomputes the rollups (every one, or those given) of the given sites over [from, to] (local dates), a
 * year at a time so that no single read holds more than a year of sums. Safe while ingest runs: both
 * compute from the raw points and check what they wrote (storage/rollup-sync.ts).
 */
export async function rebuildRollups(
  influx: InfluxStore,
  /** Each site's time zone: its days are local days. */
  timeZoneOf: (site: string) => string,
  sites: string[],
  range: { from: string; to: string },
  log: Logger,
  rollups: readonly RollupDefinition[] = ALL_ROLLUPS,
): Promise<void> {
  for (const site of sites) {
    const timeZone = timeZoneOf(site);
    for (let from = range.from; from <= range.to; ) {
      const yearEnd = DateTime.fromISO(from).endOf('year').toISODate() as string;
      const to = yearEnd < range.to ? yearEnd : range.to;
      await syncRollups(influx, rebuildSpans(site, timeZone, from, to).filter((s) => rollups.includes(s.rollup)));
      log.info({ site, from, to }, 'rollups rebuilt');
      from = DateTime.fromISO(to).plus({ days: 1 }).toISODate() as string;
    }
  }
}
