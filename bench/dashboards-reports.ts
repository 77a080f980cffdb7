import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { escape, type IPoint } from 'influx';
import { pino } from 'pino';
import { UsersFile } from '../dashboards/auth/users-file.js';
import { dashboardsConfigSchema } from '../dashboards/config.js';
import { startDashboards } from '../dashboards/server.js';
import { yearScenario } from '../firmware-sim/scenarios/year-scenario.js';
import { bonPoint, visitsPoint, weighingPoint } from '../storage/points.js';
import { rebuildSpans } from '../storage/rollups.js';
import { syncRollups } from '../storage/rollup-sync.js';
import type { InfluxStore } from '../storage/store.js';
import { dashboardsSession } from '../tests/helpers/http.js';
import { startInfluxd } from '../tests/helpers/influxd.js';
import { testStore } from '../tests/helpers/store.js';
import { fmt, summary } from './stats.js';

const ZONE = 'Europe/Paris';
const DB = 'trebuchet';
const RUNS = Number(process.env.BENCH_REPORT_RUNS ?? 30);
const NETWORK_SITES = Number(process.env.BENCH_NETWORK_SITES ?? 20);
const USER = { name: 'bench', password: 'bench-password' };

/** Writes one site-year of raw points as ingest stores them, then builds its rollups as `trebuchet rollup` does. */
async function storeYear(influx: InfluxStore, site: string, year: number, seed: number, donorsPerDay: number): Promise<{ weighings: number; visits: number; rollupMs: number }> {
  const y = yearScenario({ year, timeZone: ZONE, seed, donorsPerDay });
  const origin = (device: string) => ({ site, agent: 'comptoir', device });
  const points: IPoint[] = [
    ...y.weighings.map((w) => weighingPoint(origin(w.device), w.message)),
    ...y.visits.map((v) => visitsPoint(origin(v.device), v.message)),
    ...y.bons.map((b) => bonPoint({ site, agent: 'comptoir' }, b)),
  ];
  for (let i = 0; i < points.length; i += 10_000) await influx.write(points.slice(i, i + 10_000), 'raw');
  const t0 = performance.now();
  await syncRollups(influx, rebuildSpans(site, ZONE, `${year}-01-01`, `${year}-12-31`));
  return { weighings: y.weighings.length, visits: y.visits.length, rollupMs: performance.now() - t0 };
}

/** One InfluxQL query straight to InfluxDB: the references, what the pages would cost without rollups. */
async function timeRaw(influx: InfluxStore, query: string, runs = RUNS): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const t0 = performance.now();
    await influx.queryRaw(query);
    if (i >= 2) samples.push(performance.now() - t0);
  }
  return samples;
}

async function timeRequests(label: string, url: string, cookie: string): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const t0 = performance.now();
    const res = await fetch(url, { headers: { cookie } });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${label}: HTTP ${res.status}`);
    if (i >= 2) samples.push(performance.now() - t0); // the first two warm InfluxDB's caches
  }
  return samples;
}

function line(label: string, samples: number[], target?: number): string {
  const s = summary(samples);
  const verdict = target === undefined ? '' : s.p95 <= target ? `   ≤ ${target} ms: yes` : `   ≤ ${target} ms: NO`;
  return `  ${label.padEnd(44)} median ${fmt(s.median).padStart(9)}   p95 ${fmt(s.p95).padStart(9)}${verdict}`;
}

/**
 * The dashboards' report API on real InfluxDB 1.6 data. One site with a year of ≈ 250,000 weighings and
 * visits by the minute: each page's year view, p95 against the issue's 300 ms. Then NETWORK_SITES sites ×
 * 2 years (each calibrated on domain.md): the whole network's views, against 1 s. References, in the same
 * run: the collecte's daily sums computed from the raw weighings by InfluxDB (what the page did before
 * rollups), for the one site's year and for the network's two years.
 */
export async function benchDashboardsReports(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tb-bench-reports-'));
  const log = pino({ level: 'silent' });
  const influxd = await startInfluxd();
  const influx = testStore(influxd.url, DB);
  try {
    await influx.prepare();
    const usersFile = join(dir, 'users.json');
    await new UsersFile(usersFile).add(USER.name, 'viewer', USER.password);
    const sites = Array.from({ length: NETWORK_SITES }, (_, i) => ({ id: `site-${String(i + 1).padStart(2, '0')}`, name: `Site ${i + 1}`, timeZone: ZONE }));
    const big = { id: 'grande', name: 'Grande ressourcerie', timeZone: ZONE };
    const dashboards = await startDashboards(
      dashboardsConfigSchema.parse({ http: { port: 0 }, mqtt: { url: 'mqtt://127.0.0.1:1', password: 'no-broker-in-this-bench' }, influx: { url: influxd.url, database: DB }, site: big, sites, usersFile }),
      log,
    );
    try {
      const cookie = await dashboardsSession(dashboards.url, USER);

      // One big site: ≈ 7.5 × domain.md's donors, so ≈ 250,000 weighings in the year.
      const one = await storeYear(influx, big.id, 2025, 1, 500);
      console.log(`one site, 2025: ${one.weighings} weighings, ${one.visits} door buckets (minutes); rollups rebuilt in ${fmt(one.rollupMs)}`);
      const q = (path: string) => `${dashboards.url}${path}`;
      const year = 'from=2025-01-01&to=2025-12-31';
      const reference = await timeRaw(
        influx,
        `SELECT sum("net_kg") FROM "weighing" WHERE "site" = ${escape.stringLit(big.id)} AND "direction" = 'in' ` +
          `AND time >= '2024-12-31T23:00:00Z' AND time < '2025-12-31T23:00:00Z' GROUP BY time(1d), "category" fill(none) tz('${ZONE}')`,
      );
      const collecte = await timeRequests('collecte', q(`/api/v1/reports/collecte?${year}&bucket=day&site=${big.id}`), cookie);
      console.log(`year view of one site (${RUNS} requests each, over HTTP with the session cookie):`);
      console.log(line('Collecte, by day', collecte, 300));
      console.log(line('Collecte, by month', await timeRequests('collecte', q(`/api/v1/reports/collecte?${year}&bucket=month&site=${big.id}`), cookie), 300));
      console.log(line('Sorties et valorisation', await timeRequests('sorties', q(`/api/v1/reports/sorties?${year}&site=${big.id}`), cookie), 300));
      console.log(line('Fréquentation (with the heatmap)', await timeRequests('frequentation', q(`/api/v1/reports/frequentation?${year}&site=${big.id}`), cookie), 300));
      console.log(line('Bilan annuel', await timeRequests('bilan', q(`/api/v1/reports/bilan?year=2025&site=${big.id}`), cookie), 300));
      console.log(line('Bilan annuel, CSV', await timeRequests('bilan csv', q(`/api/v1/reports/bilan?year=2025&site=${big.id}&format=csv`), cookie), 300));
      console.log(line('reference: raw weighings by day (InfluxDB only)', reference));
      console.log(`  ratio reference / Collecte by day (medians): ${(summary(reference).median / summary(collecte).median).toFixed(1)}`);

      // The network: NETWORK_SITES sites × 2 years, each site calibrated on domain.md.
      let weighings = 0;
      let visits = 0;
      const t0 = performance.now();
      for (const [i, s] of sites.entries()) {
        for (const y of [2024, 2025]) {
          const stored = await storeYear(influx, s.id, y, 100 + i * 2 + y, 67);
          weighings += stored.weighings;
          visits += stored.visits;
        }
      }
      console.log(`network: ${NETWORK_SITES} sites × 2 years, ${weighings} weighings, ${visits} door buckets, stored and rolled up in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      console.log(`network views (site=*, ${NETWORK_SITES + 1} sites):`);
      const networkCollecte = await timeRequests('network collecte', q('/api/v1/reports/collecte?from=2024-01-01&to=2025-12-31&bucket=month&site=*'), cookie);
      console.log(line('Collecte, 2 years by month', networkCollecte, 1000));
      console.log(line('Collecte, a year by day', await timeRequests('network collecte', q(`/api/v1/reports/collecte?${year}&bucket=day&site=*`), cookie), 1000));
      console.log(line('Sorties et valorisation, 2 years', await timeRequests('network sorties', q('/api/v1/reports/sorties?from=2024-01-01&to=2025-12-31&bucket=month&site=*'), cookie), 1000));
      console.log(line('Fréquentation, 2 years', await timeRequests('network frequentation', q('/api/v1/reports/frequentation?from=2024-01-01&to=2025-12-31&bucket=month&site=*'), cookie), 1000));
      console.log(line('Fréquentation, 2025 by day, against 2024', await timeRequests('network frequentation', q(`/api/v1/reports/frequentation?${year}&bucket=day&site=*`), cookie), 1000));
      console.log(line('Bilan annuel', await timeRequests('network bilan', q('/api/v1/reports/bilan?year=2025&site=*'), cookie), 1000));
      // 10 runs: each reads every raw weighing of the network's two years (≈ 1.9 million).
      const networkReference = await timeRaw(
        influx,
        `SELECT sum("net_kg") FROM "weighing" WHERE "direction" = 'in' AND time >= '2023-12-31T23:00:00Z' AND time < '2025-12-31T23:00:00Z' ` +
          `GROUP BY time(1d), "category" fill(none) tz('${ZONE}')`,
        10,
      );
      console.log(line('reference: raw weighings, 2 years (InfluxDB)', networkReference));
      console.log(`  ratio reference / Collecte 2 years by month (medians): ${(summary(networkReference).median / summary(networkCollecte).median).toFixed(1)}`);
    } finally {
      await dashboards.stop();
    }
  } finally {
    await influxd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
