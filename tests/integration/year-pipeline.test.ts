import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { brokerConfigSchema } from '../../broker/config.js';
import { UsersFile } from '../../dashboards/auth/users-file.js';
import { dashboardsConfigSchema } from '../../dashboards/config.js';
import type { BilanReport, CollecteReport, FrequentationReport } from '../../dashboards/reports/report-types.js';
import { startDashboards, type RunningDashboards } from '../../dashboards/server.js';
import { YEAR_DEVICES, yearScenario, type YearScenario } from '../../firmware-sim/scenarios/year-scenario.js';
import { ingestConfigSchema } from '../../ingest/config.js';
import { startIngest, type RunningIngest } from '../../ingest/ingest.js';
import { dashboardsSession, jsonApi } from '../helpers/http.js';
import { startInfluxd, type RunningInfluxd } from '../helpers/influxd.js';
import { connectAgent, yearMessages } from '../helpers/year-agent.js';

const SITE = 'lilas';
const AGENT = 'historique';
const ZONE = 'Europe/Paris';
const YEAR = 2025;
const USER = { name: 'gestion', password: 'mot-de-passe-long' };

/**
 * A year of a ressourcerie calibrated on docs/domain.md, sent as an agent sends it (MQTT, QoS 1, through
 * the broker's ACL) to the real ingest and InfluxDB; then what the dashboards' API and CSV say is checked
 * against the scenario's own totals, to the gram and to the visitor.
 */
describe(`a whole year (${YEAR}) through the pipeline, to the gram`, () => {
  let dir: string;
  let influxd: RunningInfluxd;
  let broker: RunningBroker;
  let ingest: RunningIngest;
  let dashboards: RunningDashboards;
  let agent: MqttClient;
  let year: YearScenario;
  let api: ReturnType<typeof jsonApi>;
  let cookie: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tb-year-'));
    const log = pino({ level: process.env.TREBUCHET_TEST_LOG ?? 'silent' });
    influxd = await startInfluxd();
    broker = await startBroker(brokerConfigSchema.parse({ listen: { port: 0 }, dataDir: dir, agents: [{ site: SITE, agent: AGENT }] }), log);
    const mqttConn = { url: broker.url, credentialsFile: broker.credentialsFile };
    const influx = { url: influxd.url, database: 'trebuchet' };
    ingest = await startIngest(ingestConfigSchema.parse({ mqtt: { ...mqttConn, username: 'ingest' }, influx, timeZone: ZONE }), log);
    const usersFile = join(dir, 'users.json');
    await new UsersFile(usersFile).add(USER.name, 'viewer', USER.password);
    dashboards = await startDashboards(
      dashboardsConfigSchema.parse({ http: { port: 0 }, mqtt: { ...mqttConn, username: 'dashboards' }, influx, site: { id: SITE, name: 'Ressourcerie des Lilas', timeZone: ZONE }, usersFile }),
      log,
    );
    cookie = await dashboardsSession(dashboards.url, USER);
    api = jsonApi(() => dashboards.url, { cookie: () => cookie });

    year = yearScenario({ year: YEAR, timeZone: ZONE, seed: 7 });
    const receipting = await connectAgent(broker.url, broker.credentialsFile, SITE, AGENT);
    agent = receipting.client;
    const { stored } = receipting;

    // As an agent drains its outbox: a window of events in flight, the next ones once receipts come back.
    const events = yearMessages(year, SITE, AGENT);
    const WINDOW = 5_000;
    for (let i = 0; i < events.length; i += WINDOW) {
      const window = events.slice(i, i + WINDOW);
      await Promise.all(window.map((e) => agent.publishAsync(e.topic, e.payload, { qos: 1 })));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`receipts: ${window.filter((e) => !stored.has(e.id)).length} of ${window.length} missing after 60 s`)), 60_000);
        const check = () => {
          if (window.every((e) => stored.has(e.id))) {
            clearTimeout(timer);
            resolve();
          }
        };
        receipting.onReceipt(check);
        check();
      });
    }
  }, 600_000);

  afterAll(async () => {
    await agent?.endAsync();
    await dashboards?.stop();
    await ingest?.stop();
    await broker?.stop();
    await influxd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stored every event once, none refused', () => {
    const stats = ingest.stats();
    expect(stats.deadLetters).toBe(0);
    expect(stats.stored).toBe(year.weighings.length + year.visits.length + year.bons.length);
  });

  it('gives the Bilan annuel exactly: kg by category and destination, customers, bons by collect type', async () => {
    const { status, body } = await api<BilanReport>('GET', `/api/v1/reports/bilan?year=${YEAR}`);
    expect(status).toBe(200);
    const { truth } = year;
    expect(Math.round(body.totals.collectedKg * 1000)).toBe(truth.collectedGrams);
    for (const line of body.categories) {
      expect(Math.round(line.collectedKg * 1000), line.category).toBe(truth.collectedGramsByCategory[line.category] ?? 0);
      for (const [destination, kg] of Object.entries(line.byDestination)) {
        expect(Math.round(kg * 1000), `${line.category} → ${destination}`).toBe(truth.outGramsByCategoryDestination[line.category]?.[destination] ?? 0);
      }
    }
    expect(body.categories.map((c) => c.category).sort()).toEqual(Object.keys(truth.collectedGramsByCategory).sort());
    expect(body.customers).toBe(truth.customers);
    for (const t of body.collectTypes) {
      expect({ bons: t.bons, grams: Math.round(t.kg * 1000) }, t.collectType).toEqual(truth.bonsByCollectType[t.collectType]);
    }
    expect(body.collectTypes).toHaveLength(Object.keys(truth.bonsByCollectType).length);
    expect(body.bons.in).toBe(year.bons.length);
    // The shape of a busy Paris shop (domain.md): ≈ 221 t collected, ≈ 41,000 customers, ≈ 91 % valorised.
    expect(body.totals.collectedKg / 1000).toBeGreaterThan(180);
    expect(body.totals.collectedKg / 1000).toBeLessThan(260);
    expect(body.totals.rate).toBeGreaterThan(0.85);
  });

  it('gives the daily chart exactly, day by day, on local days across both DST changes, the cancelled line netted out', async () => {
    const { body } = await api<CollecteReport>('GET', `/api/v1/reports/collecte?from=${YEAR}-01-01&to=${YEAR}-12-31&bucket=day`);
    expect(body.buckets).toHaveLength(365);
    for (const b of body.buckets) expect(Math.round(b.totalKg * 1000), b.start).toBe(year.truth.collectedGramsByDate[b.start] ?? 0);
    for (const date of year.truth.dstDates) expect(year.truth.collectedGramsByDate[date], date).toBeGreaterThan(0);
    expect(body.totals.lines).toBe(year.truth.lines);
    const voided = year.weighings.find((w) => w.message.id === year.truth.voidedId)!;
    expect(voided.device).toBe(YEAR_DEVICES.counterScale);
    // Months sum the same days.
    const months = (await api<CollecteReport>('GET', `/api/v1/reports/collecte?from=${YEAR}-01-01&to=${YEAR}-12-31&bucket=month`)).body;
    expect(months.buckets).toHaveLength(12);
    expect(Math.round(months.buckets.reduce((g, b) => g + b.totalKg * 1000, 0))).toBe(year.truth.collectedGrams);
  });

  it('gives visitors per day exactly', async () => {
    const { body } = await api<FrequentationReport>('GET', `/api/v1/reports/frequentation?from=${YEAR}-01-01&to=${YEAR}-12-31`);
    for (const b of body.buckets) expect(b.visitors, b.start).toBe(year.truth.customersByDate[b.start] ?? 0);
    expect(body.totals.visitors).toBe(year.truth.customers);
    expect(body.heatmap.flat().reduce((a, b) => a + b, 0)).toBe(year.truth.customers);
  });

  it('exports the same figures as CSV', async () => {
    const csv = async (path: string) => {
      const res = await fetch(`${dashboards.url}${path}`, { headers: { cookie } });
      expect(res.status).toBe(200);
      return (await res.text()).replace(/^\uFEFF/, '').trimEnd().split('\r\n').map((line) => line.split(';'));
    };
    const grams = (cell: string) => Math.round(Number(cell.replace(',', '.')) * 1000);

    const [header, ...rows] = await csv(`/api/v1/reports/collecte?from=${YEAR}-01-01&to=${YEAR}-12-31&format=csv&table=periodes`);
    expect(header![header!.length - 1]).toBe('Total (kg)');
    expect(rows).toHaveLength(365);
    for (const row of rows) expect(grams(row[row.length - 1]!), row[0]).toBe(year.truth.collectedGramsByDate[row[0]!] ?? 0);

    const bilan = await csv(`/api/v1/reports/bilan?year=${YEAR}&format=csv&table=bilan`);
    const total = bilan[bilan.length - 1]!;
    expect(total[0]).toBe('Total');
    expect(grams(total[1]!)).toBe(year.truth.collectedGrams);

    const resume = await csv(`/api/v1/reports/bilan?year=${YEAR}&format=csv&table=resume`);
    expect(resume.find((r) => r[0] === 'Clients (entrées comptées)')?.[1]).toBe(String(year.truth.customers));

    const visitors = await csv(`/api/v1/reports/frequentation?from=${YEAR}-01-01&to=${YEAR}-12-31&format=csv&table=periodes`);
    expect(visitors.slice(1).reduce((n, r) => n + Number(r[1]), 0)).toBe(year.truth.customers);
  });
});
