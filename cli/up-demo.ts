import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { escape, type InfluxDB, type IPoint } from 'influx';
import { DateTime } from 'luxon';
import { UsersFile } from '../dashboards/auth/users-file.js';
import { YEAR_DISTRICTS, yearScenario } from '../firmware-sim/scenarios/year-scenario.js';
import { siteTimeZone, type IngestConfig } from '../ingest/config.js';
import { bonPoint, MEASUREMENT, visitsPoint, weighingPoint } from '../storage/points.js';
import { rebuildRollups } from '../storage/rollup-rebuild.js';
import { ROLLUP_RETENTION_POLICY, ROLLUPS } from '../storage/rollups.js';
import type { Logger } from '../runtime/log.js';
import { siteTaxonomy } from '../runtime/taxonomy-config.js';
import { upUsersFile, type UpConfig } from './up-config.js';

/** The account a demonstration signs in with (made at its first start, password in the demo's data folder). */
export const DEMO_ACCOUNT = 'demo';
const WRITE_BATCH = 10_000;

/**
 * A demonstration's config: its data folder beside the real one and never it (`data` → `data-demo`), a
 * database of its own too (for an InfluxDB that is not the managed one), and the districts the calibrated
 * year's donors come from when the site lists none, so that « Par provenance » reads as names.
 */
export function demoConfig(config: UpConfig): UpConfig {
  const taxonomy = siteTaxonomy(config);
  return {
    ...config,
    dataDir: `${resolve(config.dataDir)}-demo`,
    influx: { ...config.influx, database: `${config.influx.database}_demo` },
    ...(taxonomy.districts.length ? {} : { taxonomy: { ...taxonomy, districts: [...YEAR_DISTRICTS] }, taxonomyFile: undefined }),
  };
}

export interface DemoSeed {
  from: string;
  to: string;
  weighings: number;
  visits: number;
  bons: number;
}

/**
 * Weighings per local date, from `from` to `to` (exclusive): counted in the raw points, or summed from the
 * counts of the site's daily rollup.
 */
async function weighingsPerDay(influx: InfluxDB, source: 'raw' | 'rollup', site: string, timeZone: string, from: DateTime, to: DateTime): Promise<Map<string, number>> {
  const select =
    source === 'raw'
      ? `SELECT count("net_kg") AS n FROM ${escape.quoted(MEASUREMENT.weighing)}`
      : `SELECT sum("n") AS n FROM ${escape.quoted(ROLLUP_RETENTION_POLICY)}.${escape.quoted(ROLLUPS.weighingsByCategory.name)}`;
  const rows = await influx.query<{ time: Date; n: number }>(
    `${select} WHERE "site" = ${escape.stringLit(site)} ` +
      `AND time >= ${escape.stringLit(from.toUTC().toISO() as string)} AND time < ${escape.stringLit(to.toUTC().toISO() as string)} ` +
      `GROUP BY time(1d) fill(none) tz(${escape.stringLit(timeZone)})`,
  );
  return new Map(rows.filter((r) => r.n > 0).map((r) => [DateTime.fromJSDate(r.time, { zone: timeZone }).toISODate() as string, r.n]));
}

/**
 * The days whose daily rollup does not count every weighing stored for them. A demonstration is shown as
 * exact to the gram, so each start checks it: InfluxDB can run a `SELECT … INTO` short without an error,
 * and a start interrupted between the points and their rollups leaves days the next start does not write.
 */
async function shortDays(influx: InfluxDB, site: string, timeZone: string, from: DateTime, to: DateTime): Promise<string[]> {
  const [raw, rolled] = await Promise.all([weighingsPerDay(influx, 'raw', site, timeZone, from, to), weighingsPerDay(influx, 'rollup', site, timeZone, from, to)]);
  return [...raw].filter(([date, n]) => rolled.get(date) !== n).map(([date]) => date);
}

/**
 * Fills a demonstration's InfluxDB with a calibrated past year and the current year up to yesterday (the
 * year scenario of firmware-sim, one seed per year, so every start draws the same years), as ingest stores
 * them, then builds their rollups as `trebuchet rollup` does. A day that already holds weighings (an earlier
 * start, or the live simulation's day) is left as it is: each start fills only the days missing, none twice.
 * Every start then checks that the rollups count each stored weighing, and builds again the days they do not.
 */
export async function seedDemo(
  influx: InfluxDB,
  ingest: Pick<IngestConfig, 'influx' | 'timeZone' | 'sites'>,
  ids: { site: string; agent: string },
  log: Logger,
  now = new Date(),
): Promise<DemoSeed> {
  const timeZone = ingest.timeZone;
  const today = DateTime.fromJSDate(now, { zone: timeZone }).startOf('day');
  const first = today.minus({ years: 1 }).startOf('year');
  const range = { from: first.toISODate() as string, to: today.minus({ days: 1 }).toISODate() as string };
  const filled = [...(await weighingsPerDay(influx, 'raw', ids.site, timeZone, first, today)).keys()];
  // The few days already stored, as epoch intervals: a year of events is filtered without a date per event.
  const skip = filled.map((d) => {
    const start = DateTime.fromISO(d, { zone: timeZone });
    return [start.toMillis(), start.plus({ days: 1 }).toMillis()] as const;
  });
  const [lo, hi] = [first.toMillis(), today.toMillis()];
  const wanted = (iso: string) => {
    const ms = Date.parse(iso);
    return ms >= lo && ms < hi && !skip.some(([a, b]) => ms >= a && ms < b);
  };

  const seed: DemoSeed = { ...range, weighings: 0, visits: 0, bons: 0 };
  const origin = (device: string) => ({ site: ids.site, agent: ids.agent, device });
  for (let year = first.year; year <= today.year; year++) {
    const y = yearScenario({ year, timeZone, seed: year });
    const weighings = y.weighings.filter((w) => wanted(w.message.capturedAt));
    const visits = y.visits.filter((v) => wanted(v.message.bucketStart));
    const bons = y.bons.filter((b) => wanted(b.capturedAt));
    const points: IPoint[] = [
      ...weighings.map((w) => weighingPoint(origin(w.device), w.message)),
      ...visits.map((v) => visitsPoint(origin(v.device), v.message)),
      ...bons.map((b) => bonPoint(ids, b)),
    ];
    for (let i = 0; i < points.length; i += WRITE_BATCH) await influx.writePoints(points.slice(i, i + WRITE_BATCH), { precision: 'n' });
    seed.weighings += weighings.length;
    seed.visits += visits.length;
    seed.bons += bons.length;
  }
  const rebuild = (r: { from: string; to: string }) => rebuildRollups(influx, ingest.influx.database, (site) => siteTimeZone(ingest, site), [ids.site], r, log);
  if (seed.weighings + seed.visits + seed.bons > 0) await rebuild(range);
  const short = await shortDays(influx, ids.site, timeZone, first, today);
  if (short.length > 0) {
    log.warn({ days: short }, 'demonstration: rollups short of the stored weighings; building those days again');
    await rebuild({ from: short[0]!, to: short.at(-1)! });
    const still = await shortDays(influx, ids.site, timeZone, first, today);
    if (still.length > 0) throw new Error(`demonstration: the rollups of ${still.join(', ')} do not count every stored weighing; run \`trebuchet rollup\``);
  }
  return seed;
}

/**
 * The demonstration's account: made at its first start with a generated password, kept in the demo's data
 * folder (mode 0600) and printed at each start. A demonstration holds no real figures; it still has no
 * default password, as everything else here.
 */
export async function demoLogin(config: UpConfig): Promise<{ name: string; password: string; file: string }> {
  const file = join(resolve(config.dataDir), 'demo-login.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { name: string; password: string };
    return { ...saved, file };
  }
  const password = randomBytes(9).toString('base64url');
  const users = new UsersFile(upUsersFile(config));
  if (users.find(DEMO_ACCOUNT)) await users.setPassword(DEMO_ACCOUNT, password);
  else await users.add(DEMO_ACCOUNT, 'admin', password);
  writeFileSync(file, JSON.stringify({ name: DEMO_ACCOUNT, password }) + '\n', { mode: 0o600 });
  return { name: DEMO_ACCOUNT, password, file };
}
