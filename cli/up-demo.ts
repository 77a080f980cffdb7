import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { escape, type IPoint } from 'influx';
import { DateTime } from 'luxon';
import { UsersFile } from '../dashboards/auth/users-file.js';
import { YEAR_DISTRICTS, yearScenario } from '../firmware-sim/scenarios/year-scenario.js';
import { siteTimeZone, type IngestConfig } from '../ingest/config.js';
import { bonPoint, MEASUREMENT, visitsPoint, weighingPoint } from '../storage/points.js';
import { rebuildRollups } from '../storage/rollup-rebuild.js';
import { selectSeries } from '../storage/select-series.js';
import type { InfluxStore } from '../storage/store.js';
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

/** Weighings of a local day: how many, and their net grams summed. */
interface DayFigures {
  n: number;
  grams: number;
}
const sameFigures = (a: DayFigures | undefined, b: DayFigures | undefined) => a?.n === b?.n && a?.grams === b?.grams;

/**
 * Weighings per local date, from `from` to `to` (exclusive): counted and summed in the raw points, or
 * summed from the counts and sums of the site's daily rollup.
 */
async function weighingsPerDay(influx: InfluxStore, source: 'raw' | 'rollup', site: string, timeZone: string, from: DateTime, to: DateTime): Promise<Map<string, DayFigures>> {
  const select =
    source === 'raw'
      ? `SELECT count("net_kg") AS n, sum("net_kg") AS kg FROM ${escape.quoted(MEASUREMENT.weighing)}`
      : `SELECT sum("n") AS n, sum("net_kg") AS kg FROM ${escape.quoted(ROLLUP_RETENTION_POLICY)}.${escape.quoted(ROLLUPS.weighingsByCategory.name)}`;
  const [series] = await selectSeries(
    influx,
    [
      `${select} WHERE "site" = ${escape.stringLit(site)} ` +
        `AND time >= ${escape.stringLit(from.toUTC().toISO() as string)} AND time < ${escape.stringLit(to.toUTC().toISO() as string)} ` +
        `GROUP BY time(1d) fill(none) tz(${escape.stringLit(timeZone)})`,
    ],
    { epoch: 'ms' },
  );
  const days = new Map<string, DayFigures>();
  for (const s of series ?? []) {
    const [time, n, kg] = ['time', 'n', 'kg'].map((c) => s.columns.indexOf(c)) as [number, number, number];
    for (const row of s.values) {
      const count = Number(row[n]);
      if (count > 0) days.set(DateTime.fromMillis(Number(row[time]), { zone: timeZone }).toISODate() as string, { n: count, grams: Math.round(Number(row[kg]) * 1000) });
    }
  }
  return days;
}

/** A day whose stored figures differ from what they must be, and which of them do. */
interface WrongDay {
  date: string;
  /** Raw points short of what this start wrote: they are written again. */
  missing: boolean;
  written?: DayFigures;
  raw?: DayFigures;
  rollup?: DayFigures;
}

/**
 * The days whose figures are not what was written: raw points missing (InfluxDB acknowledged a write
 * whose points a query does not see), or a daily rollup that does not count and sum every stored
 * weighing (InfluxDB can run a `SELECT … INTO` short without an error, and a start interrupted between
 * the points and their rollups leaves days the next start does not write). Days written by an earlier
 * start are checked against their raw points, those of this start against what it wrote.
 */
async function wrongDays(influx: InfluxStore, site: string, timeZone: string, from: DateTime, to: DateTime, written: ReadonlyMap<string, DayFigures>): Promise<WrongDay[]> {
  const [raw, rollup] = await Promise.all([weighingsPerDay(influx, 'raw', site, timeZone, from, to), weighingsPerDay(influx, 'rollup', site, timeZone, from, to)]);
  const dates = [...new Set([...raw.keys(), ...written.keys()])].sort();
  return dates
    .map((date) => {
      const d = { date, written: written.get(date), raw: raw.get(date), rollup: rollup.get(date) };
      return { ...d, missing: d.written !== undefined && !sameFigures(d.written, d.raw) };
    })
    .filter((d) => d.missing || !sameFigures(d.raw, d.rollup));
}

/** The local date of an instant, by binary search in the local midnights [first, …]: a year of points without a DateTime each. */
function localDates(first: DateTime, end: DateTime): (ms: number) => string {
  const starts: number[] = [];
  const names: string[] = [];
  for (let d = first; d < end; d = d.plus({ days: 1 })) {
    starts.push(d.toMillis());
    names.push(d.toISODate() as string);
  }
  return (ms) => {
    let [lo, hi] = [0, starts.length - 1];
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= ms) lo = mid;
      else hi = mid - 1;
    }
    return names[lo]!;
  };
}

/** Checks of the stored figures after a start's writes: the first, then up to two repairs. */
const CHECKS = 3;

/**
 * Fills a demonstration's InfluxDB with a calibrated past year and the current year up to yesterday (the
 * year scenario of firmware-sim, one seed per year, so every start draws the same years), as ingest stores
 * them, then builds their rollups as `trebuchet rollup` does. A day that already holds weighings (an earlier
 * start, or the live simulation's day) is left as it is: each start fills only the days missing, none twice.
 * A demonstration is shown as exact to the gram, so every start then checks each day's weighings, raw and
 * rolled up, against what was written, and writes and builds again the days that differ (both idempotent:
 * a point rewritten has the same identity).
 */
export async function seedDemo(
  influx: InfluxStore,
  ingest: Pick<IngestConfig, 'influx' | 'timeZone' | 'sites'>,
  ids: { site: string; agent: string },
  log: Logger,
  now = new Date(),
): Promise<DemoSeed> {
  const timeZone = ingest.timeZone;
  const today = DateTime.fromJSDate(now, { zone: timeZone }).startOf('day');
  const first = today.minus({ years: 1 }).startOf('year');
  const range = { from: first.toISODate() as string, to: today.minus({ days: 1 }).toISODate() as string };
  const filled = new Set((await weighingsPerDay(influx, 'raw', ids.site, timeZone, first, today)).keys());
  const dateOf = localDates(first, today);
  const [lo, hi] = [first.toMillis(), today.toMillis()];
  const wanted = (iso: string) => {
    const ms = Date.parse(iso);
    return ms >= lo && ms < hi && !filled.has(dateOf(ms));
  };

  const seed: DemoSeed = { ...range, weighings: 0, visits: 0, bons: 0 };
  const origin = (device: string) => ({ site: ids.site, agent: ids.agent, device });
  /** What this start wrote, per local date: its points (to write again) and its weighings' figures. */
  const pointsOf = new Map<string, IPoint[]>();
  const written = new Map<string, DayFigures>();
  const keep = (iso: string, point: IPoint, grams?: number) => {
    const date = dateOf(Date.parse(iso));
    const list = pointsOf.get(date);
    if (list) list.push(point);
    else pointsOf.set(date, [point]);
    if (grams !== undefined) {
      const day = written.get(date) ?? { n: 0, grams: 0 };
      written.set(date, { n: day.n + 1, grams: day.grams + grams });
    }
    return point;
  };
  for (let year = first.year; year <= today.year; year++) {
    const y = yearScenario({ year, timeZone, seed: year });
    const weighings = y.weighings.filter((w) => wanted(w.message.capturedAt));
    const visits = y.visits.filter((v) => wanted(v.message.bucketStart));
    const bons = y.bons.filter((b) => wanted(b.capturedAt));
    const points: IPoint[] = [
      ...weighings.map((w) => keep(w.message.capturedAt, weighingPoint(origin(w.device), w.message), Math.round(w.message.netKg * 1000))),
      ...visits.map((v) => keep(v.message.bucketStart, visitsPoint(origin(v.device), v.message))),
      ...bons.map((b) => keep(b.capturedAt, bonPoint(ids, b))),
    ];
    await writeInBatches(influx, points);
    seed.weighings += weighings.length;
    seed.visits += visits.length;
    seed.bons += bons.length;
  }
  const rebuild = (r: { from: string; to: string }) => rebuildRollups(influx, (site) => siteTimeZone(ingest, site), [ids.site], r, log);
  if (seed.weighings + seed.visits + seed.bons > 0) await rebuild(range);
  for (let check = 1; ; check++) {
    const wrong = await wrongDays(influx, ids.site, timeZone, first, today, written);
    if (wrong.length === 0) break;
    if (check === CHECKS) {
      throw new Error(`demonstration: the weighings of ${wrong.map((d) => d.date).join(', ')} are not stored as written, after ${CHECKS - 1} repairs; run \`trebuchet rollup\``);
    }
    const missing = wrong.filter((d) => d.missing);
    log.warn({ days: wrong.map((d) => d.date), missing: missing.length, figures: wrong.slice(0, 5) }, 'demonstration: stored figures differ from those written; writing and building those days again');
    await writeInBatches(influx, missing.flatMap((d) => pointsOf.get(d.date) ?? []));
    await rebuild({ from: wrong[0]!.date, to: wrong.at(-1)!.date });
  }
  return seed;
}

async function writeInBatches(influx: InfluxStore, points: readonly IPoint[]): Promise<void> {
  for (let i = 0; i < points.length; i += WRITE_BATCH) await influx.write(points.slice(i, i + WRITE_BATCH), 'raw');
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
