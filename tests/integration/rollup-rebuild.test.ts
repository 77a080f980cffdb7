import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InfluxDB } from 'influx';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collecteReport } from '../../dashboards/reports/collecte.js';
import { frequentationReport } from '../../dashboards/reports/frequentation.js';
import { yearScenario } from '../../firmware-sim/scenarios/year-scenario.js';
import { ingestConfigSchema } from '../../ingest/config.js';
import { startIngest } from '../../ingest/ingest.js';
import { visitsPoint, weighingPoint } from '../../storage/points.js';
import { DEFAULT_TAXONOMY } from '../../protocol/taxonomy.js';
import { siteSchema } from '../../runtime/connections.js';
import { startInfluxd, type RunningInfluxd } from '../helpers/influxd.js';
import { testStore } from '../helpers/store.js';

const CLI = join(import.meta.dirname, '../../dist/cli/trebuchet.js');
const run = promisify(execFile);
const ZONE = 'Europe/Paris';
const site = siteSchema.parse({ id: 'ancienne', timeZone: ZONE });
const scope = { id: site.id, sites: [site] };
const year = { from: '2024-01-01', to: '2024-12-31' };

/**
 * Data stored by a version without rollups must not show as zeros after the upgrade: ingest builds the
 * rollups from it at its first start, and `trebuchet rollup` rebuilds them on demand.
 */
describe('rollups of data stored before them', () => {
  let influxd: RunningInfluxd;
  let influx: InfluxDB;
  let dir: string;
  const scenario = yearScenario({ year: 2024, timeZone: ZONE, seed: 3, donorsPerDay: 10, homePickups: 20, customersPerDay: 20 });
  const collected = async () => (await collecteReport({ influx: testStore(influxd.url), taxonomy: DEFAULT_TAXONOMY }, scope, year, 'year')).totals.kg;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tb-rollup-'));
    influxd = await startInfluxd();
    influx = new InfluxDB({ host: '127.0.0.1', port: influxd.port, database: 'trebuchet' });
    // As the previous version stored them: raw points only, no rollups retention policy.
    await influx.createDatabase('trebuchet');
    const origin = (device: string) => ({ site: site.id, agent: 'comptoir', device });
    await influx.writePoints([...scenario.weighings.map((w) => weighingPoint(origin(w.device), w.message)), ...scenario.visits.map((v) => visitsPoint(origin(v.device), v.message))], { precision: 'n' });
  });

  afterAll(async () => {
    await influxd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows nothing before, and every gram once ingest has started', async () => {
    expect(await collected()).toBe(0);
    const ingest = await startIngest(
      ingestConfigSchema.parse({ mqtt: { url: 'mqtt://127.0.0.1:1', password: 'no-broker-here' }, influx: { url: influxd.url }, timeZone: ZONE }),
      pino({ level: 'silent' }),
    );
    try {
      await expect.poll(collected, { timeout: 30_000 }).toBe(scenario.truth.collectedGrams / 1000);
    } finally {
      await ingest.stop();
    }
  });

  it('`trebuchet rollup` rebuilds them from the raw points, and refuses bad dates', async () => {
    await influx.query('DROP MEASUREMENT "weighings_daily_category"; DROP MEASUREMENT "weighings_daily_category_monthly"');
    expect(await collected()).toBe(0);
    const config = join(dir, 'ingest.yaml');
    writeFileSync(config, `influx: { url: "${influxd.url}" }\ntimeZone: ${ZONE}\n`);
    const { stdout, stderr } = await run(process.execPath, [CLI, 'rollup', '-c', config, '--from', '2024-01-01', '--to', '2024-12-31']);
    // Progress is logged on stderr as JSON lines (pino); stdout holds the outcome alone.
    expect(stdout).toBe('rollups rebuilt for ancienne from 2024-01-01 to 2024-12-31\n');
    expect(stderr).toContain('"msg":"rollups rebuilt"');
    expect(await collected()).toBe(scenario.truth.collectedGrams / 1000);

    const bad = await run(process.execPath, [CLI, 'rollup', '-c', config, '--from', '2024-13-01']).catch((err: { code: number; stderr: string }) => err);
    expect(bad).toMatchObject({ code: 2, stderr: '--from 2024-13-01: must be a date YYYY-MM-DD\n' });
    writeFileSync(config, `influx: { url: "${influxd.url}" }\ntimeZone: Asia/Kolkata\n`);
    const zone = await run(process.execPath, [CLI, 'rollup', '-c', config]).catch((err: { code: number; stderr: string }) => err);
    expect(zone).toMatchObject({ code: 2 });
    expect((zone as { stderr: string }).stderr).toContain('timeZone');
    expect((zone as { stderr: string }).stderr).toContain('whole number of hours');
  });

  it('builds at ingest’s start the rollups by weekday and hour an earlier version’s rollups lack', async () => {
    const heatmap = async () => (await frequentationReport({ influx: testStore(influxd.url), taxonomy: DEFAULT_TAXONOMY }, scope, year, 'year')).heatmap.flat().reduce((a, b) => a + b, 0);
    expect(await heatmap()).toBe(scenario.truth.customers);
    // As a version before them left its rollups: the hourly rows only.
    await influx.query('DROP MEASUREMENT "visits_hourly_weekday"');
    expect(await heatmap()).toBe(0);
    const ingest = await startIngest(
      ingestConfigSchema.parse({ mqtt: { url: 'mqtt://127.0.0.1:1', password: 'no-broker-here' }, influx: { url: influxd.url }, timeZone: ZONE }),
      pino({ level: 'silent' }),
    );
    try {
      await expect.poll(heatmap, { timeout: 30_000 }).toBe(scenario.truth.customers);
    } finally {
      await ingest.stop();
    }
  });
});
