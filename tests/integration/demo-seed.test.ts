import type { IPoint } from 'influx';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../cli/up-demo.js';
import { collecteReport } from '../../dashboards/reports/collecte.js';
import { yearScenario } from '../../firmware-sim/scenarios/year-scenario.js';
import { ingestConfigSchema } from '../../ingest/config.js';
import { DEFAULT_TAXONOMY } from '../../protocol/taxonomy.js';
import { siteSchema } from '../../runtime/connections.js';
import { runInfluxQL } from '../../storage/run-influxql.js';
import type { InfluxStore, PointTarget } from '../../storage/store.js';
import { startInfluxd, type RunningInfluxd } from '../helpers/influxd.js';
import { testStore } from '../helpers/store.js';

const ZONE = 'Europe/Paris';
const SITE = 'ma-ressourcerie';
const site = siteSchema.parse({ id: SITE, timeZone: ZONE });
const scope = { id: SITE, sites: [site] };
/** A start on 2 March 2026: last year whole, and this year up to 1 March. */
const NOW = new Date('2026-03-02T10:00:00Z');
const THIS_YEAR = { from: '2026-01-01', to: '2026-03-01' };

/**
 * `npm start -- --demo` fills a year and a bit, and checks at every start that the rollups count every
 * weighing stored: a day whose rollup came out short (InfluxDB drops a `SELECT … INTO` without an error,
 * or a start was cut between the points and their rollups) is built again and said so in the log.
 */
describe('the demonstration seed checks its rollups', () => {
  let influxd: RunningInfluxd;
  let influx: InfluxStore;
  const warnings: { days?: string[]; msg: string }[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line) as { days?: string[]; msg: string }) });
  const ingest = () => ingestConfigSchema.parse({ influx: { url: influxd.url, database: 'trebuchet_demo' }, timeZone: ZONE });
  const seed = () => seedDemo(influx, ingest(), { site: SITE, agent: 'comptoir' }, log, NOW);
  const truth = yearScenario({ year: 2026, timeZone: ZONE, seed: 2026 }).truth;
  const toDate = Object.entries(truth.collectedGramsByDate).reduce((g, [date, grams]) => g + (date <= THIS_YEAR.to ? grams : 0), 0);
  /**
   * The warning names the days a test broke, and maybe others: on a loaded machine InfluxDB 1.6 has
   * answered a query without points it had acknowledged (a CI run saw five days of May 2025 short), which
   * is the very case the check is there for. What must hold is that the broken days are named and that
   * every day, named or not, ends exact (the collected totals below).
   */
  const warnedOf = (days: string[], missing: number) => {
    expect(warnings).toHaveLength(1);
    const [warning] = warnings as { days: string[]; missing: number; msg: string }[];
    expect(warning!.msg).toMatch(/differ from those written/);
    expect(warning!.days).toEqual(expect.arrayContaining(days));
    expect(warning!.missing).toBeGreaterThanOrEqual(missing);
  };
  const collected = async () => Math.round((await collecteReport({ influx, taxonomy: DEFAULT_TAXONOMY }, scope, THIS_YEAR, 'month')).totals.kg * 1000);

  beforeAll(async () => {
    influxd = await startInfluxd();
    influx = testStore(influxd.url, 'trebuchet_demo');
    await influx.prepare();
  }, 60_000);

  afterAll(async () => {
    await influxd?.stop();
  });

  it('holds this year to the gram after the first start, with nothing to say of its own rollups', async () => {
    const first = await seed();
    expect(first.weighings).toBeGreaterThan(0);
    expect(await collected()).toBe(toDate);
    // Only InfluxDB hiding acknowledged points (see warnedOf) may make a first start say something.
    for (const w of warnings as { missing?: number }[]) expect(w.missing).toBeGreaterThan(0);
  }, 120_000);

  it('builds again the day whose rollup lost its points, and says which', async () => {
    warnings.length = 0;
    // One day's rollup gone, as a short `SELECT … INTO` would leave it.
    await runInfluxQL(influx, [`DELETE FROM "weighings_daily_category" WHERE time >= '2026-02-13T23:00:00Z' AND time < '2026-02-14T23:00:00Z'`]);
    expect(await collected()).toBe(toDate - truth.collectedGramsByDate['2026-02-14']!);

    const again = await seed();
    expect(again).toMatchObject({ weighings: 0, visits: 0, bons: 0 });
    warnedOf(['2026-02-14'], 0);
    expect(await collected()).toBe(toDate);
  }, 120_000);

  it('builds every rollup a start cut before them left missing', async () => {
    warnings.length = 0;
    await runInfluxQL(influx, ['DROP MEASUREMENT "weighings_daily_category"']);
    expect(await collected()).toBe(0);
    await seed();
    expect(warnings).toHaveLength(1);
    // Every day that took goods in, of both years, was short.
    const lastYear = Object.keys(yearScenario({ year: 2025, timeZone: ZONE, seed: 2025 }).truth.collectedGramsByDate);
    const thisYear = Object.keys(truth.collectedGramsByDate).filter((d) => d <= THIS_YEAR.to);
    expect(warnings[0]!.days).toEqual(expect.arrayContaining([...lastYear, ...thisYear]));
    expect(await collected()).toBe(toDate);
  }, 120_000);

  it('writes again, in the same start, the points of a day InfluxDB acknowledged but does not hold', async () => {
    warnings.length = 0;
    const database = 'trebuchet_demo_lost';
    const real = testStore(influxd.url, database);
    await real.prepare();
    // The first write that holds 14 February answers as written and stores none of that day's points.
    const [dayStart, dayEnd] = [Date.parse('2026-02-13T23:00:00Z'), Date.parse('2026-02-14T23:00:00Z')];
    const onDay = (p: IPoint) => {
      const ms = Number(BigInt(String(p.timestamp)) / 1_000_000n);
      return ms >= dayStart && ms < dayEnd;
    };
    let dropped = 0;
    const lossy = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop !== 'write') return Reflect.get(target, prop, receiver);
        return (points: IPoint[], into: PointTarget) => {
          const kept = dropped === 0 && points.some(onDay) ? points.filter((p) => !onDay(p)) : points;
          dropped += points.length - kept.length;
          return target.write(kept, into);
        };
      },
    });
    const config = ingestConfigSchema.parse({ influx: { url: influxd.url, database }, timeZone: ZONE });
    await seedDemo(lossy, config, { site: SITE, agent: 'comptoir' }, log, NOW);
    expect(dropped).toBeGreaterThan(0);
    warnedOf(['2026-02-14'], 1);
    expect(Math.round((await collecteReport({ influx: real, taxonomy: DEFAULT_TAXONOMY }, scope, THIS_YEAR, 'month')).totals.kg * 1000)).toBe(toDate);
  }, 120_000);
});
