import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { IPoint } from 'influx';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportsRoutes } from '../../dashboards/api/reports-routes.js';
import { queryLatestWeighings, siteRoutes } from '../../dashboards/api/site.js';
import type { LatestWeighing } from '../../dashboards/api/types.js';
import type { BilanReport, CollecteReport, FrequentationReport, SortiesReport, TodayReport } from '../../dashboards/reports/report-types.js';
import { todayReport } from '../../dashboards/reports/today.js';
import { bonPoint, visitsPoint, weighingPoint } from '../../storage/points.js';
import { rollupSpansFor } from '../../storage/rollups.js';
import { syncRollups } from '../../storage/rollup-sync.js';
import type { InfluxStore } from '../../storage/store.js';
import { bonSchema, type WeighingInput } from '../../protocol/index.js';
import { DEFAULT_TAXONOMY, taxonomySchema, type Taxonomy } from '../../protocol/taxonomy.js';
import { siteSchema } from '../../runtime/connections.js';
import { nextSeq, visitsAt, weighingAt } from '../helpers/events.js';
import { startInfluxd, type RunningInfluxd } from '../helpers/influxd.js';
import { testStore } from '../helpers/store.js';

const ZONE = 'Europe/Paris';
const site = siteSchema.parse({ id: 'paris-11', name: 'Ressourcerie du 11e', timeZone: ZONE });
// A second site of the network, on the other side of the world: its days are its own local days.
const reunion = siteSchema.parse({ id: 'saint-denis', name: 'Ressourcerie de Saint-Denis', timeZone: 'Indian/Reunion' });
const origin = { site: site.id, agent: 'comptoir', device: 'balance-1' };
const DB = 'trebuchet';
const zoneOf = (s: string) => (s === reunion.id ? reunion.timeZone : ZONE);

let influxd: RunningInfluxd;
let influx: InfluxStore;
/** A local wall-clock time of a site. */
function local(localTime: string, zone = ZONE): DateTime {
  const t = DateTime.fromISO(localTime, { zone });
  if (!t.isValid) throw new Error(`bad local time ${localTime}`);
  return t;
}
const at = (localTime: string, zone = ZONE) => local(localTime, zone).toISO() as string;

/** A textile weighing at a local wall-clock time of the site, shaped and stored exactly as ingest stores it. */
const weighing = (localTime: string, netKg: number, over: Partial<WeighingInput> = {}) => weighingAt(local(localTime), netKg, 'textile', over);

function outgoing(localTime: string, netKg: number, category: string, destination: string, partner?: string) {
  return weighing(localTime, netKg, { direction: 'out', collectType: undefined, category, destination, ...(partner ? { partner } : {}) });
}

const visits = (localTime: string, entries: number, exits: number, zone = ZONE) => visitsAt(local(localTime, zone), entries, exits);

function bon(localTime: string, netKg: number, lines: number, over: Record<string, unknown> = {}) {
  return bonSchema.parse({
    v: 1,
    id: randomUUID(),
    seq: nextSeq(),
    bonId: `comptoir-${localTime.slice(0, 10).replaceAll('-', '')}-${nextSeq()}-abcdef`,
    capturedAt: at(localTime),
    closedAt: at(localTime),
    clockSynced: true,
    state: 'closed',
    direction: 'in',
    collectType: 'apport-volontaire',
    lines,
    netKg,
    ...over,
  });
}

/** Writes points and recomputes the rollups they touch, as ingest does before its receipt. */
async function store(points: IPoint[]): Promise<void> {
  await influx.write(points, 'raw');
  await syncRollups(influx, rollupSpansFor(points, zoneOf));
}

const weighings = (...ws: ReturnType<typeof weighing>[]) => store(ws.map((w) => weighingPoint(origin, w)));

function appWith(taxonomy: Taxonomy = DEFAULT_TAXONOMY): FastifyInstance {
  const app = Fastify();
  const deps = { influx, sites: [site, reunion], taxonomy, networkName: 'Réseau test', demo: false };
  // Under the prefix the server gives them, without its session check: these tests are about the figures.
  app.register(reportsRoutes, { prefix: '/api/v1', ...deps });
  app.register(siteRoutes, { prefix: '/api/v1', ...deps });
  return app;
}

let app: FastifyInstance;

async function get<T>(url: string): Promise<{ status: number; body: T & { message?: string; fields?: string[] } }> {
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() };
}

const collecte = (query: string) => get<CollecteReport>(`/api/v1/reports/collecte?${query}`);

function bucket(body: CollecteReport, start: string) {
  const found = body.buckets.find((d) => d.start === start);
  if (!found) throw new Error(`no bucket ${start} in ${body.buckets.map((d) => d.start).join(', ')}`);
  return found;
}

beforeAll(async () => {
  influxd = await startInfluxd();
  influx = testStore(influxd.url, DB);
  app = appWith();
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await influxd?.stop();
});

describe('before anything is stored', () => {
  it('answers zeros when the database does not exist yet', async () => {
    const { status, body } = await collecte('from=2026-01-01&to=2026-01-03');
    expect(status).toBe(200);
    expect(body.categories).toEqual([]);
    expect(body.buckets).toEqual([
      { start: '2026-01-01', totalKg: 0, byCategory: {} },
      { start: '2026-01-02', totalKg: 0, byCategory: {} },
      { start: '2026-01-03', totalKg: 0, byCategory: {} },
    ]);
    expect(body.totals).toEqual({ kg: 0, lines: 0, byCategory: {} });
  });
});

describe('collecte', () => {
  beforeAll(async () => {
    await influx.prepare();
    await weighings(
      // An ordinary week in May: two categories, one empty day, outgoing weighings to leave out.
      weighing('2026-05-04T09:15', 12.3, { district: 'paris-11e' }),
      weighing('2026-05-04T10:40', 4.56, { collectType: 'collecte-domicile' }),
      weighing('2026-05-04T11:00', 30, { category: 'mobilier', collectType: 'debarras', district: 'paris-20e' }),
      weighing('2026-05-06T16:20', 0.1, { category: 'livres' }),
      weighing('2026-05-06T16:21', 0.2, { category: 'livres' }),
      outgoing('2026-05-06T17:00', 50, 'textile', 'recyclage', 'le-relais'),
      // DST, spring forward (Sunday 29 March 2026, 02:00 → 03:00).
      weighing('2026-03-29T00:30', 1, { category: 'deee' }),
      weighing('2026-03-29T23:30', 2, { category: 'deee' }),
      weighing('2026-03-30T00:30', 4, { category: 'deee' }),
      // DST, fall back (Sunday 25 October 2026, 03:00 → 02:00).
      weighing('2026-10-25T00:30', 8, { category: 'jouets' }),
      weighing('2026-10-25T23:30', 16, { category: 'jouets' }),
      weighing('2026-10-26T00:30', 32, { category: 'jouets' }),
      // The same week a year earlier, and the week before: for the comparisons.
      weighing('2025-05-05T10:00', 20),
      weighing('2026-04-28T10:00', 5, { category: 'livres' }),
    );
    // Another site's weighing, stored in its own time zone.
    await store([weighingPoint({ ...origin, site: reunion.id }, { ...weighing('2026-05-04T09:00', 99), capturedAt: at('2026-05-04T09:00', reunion.timeZone) })]);
    // A correction: the compensating entry has the same timestamp and tags, a negative weight and entry=void.
    const wrong = weighing('2026-05-05T14:00', 7.25, { category: 'quincaillerie' });
    await weighings(wrong, { ...wrong, id: randomUUID(), netKg: -7.25, entry: 'void', voids: wrong.id, voidedAt: at('2026-05-05T14:02'), by: 'Awa' });
  });

  it('sums kg per local day and category, incoming only, this site only, with every day present', async () => {
    const { status, body } = await collecte('from=2026-05-03&to=2026-05-07');
    expect(status).toBe(200);
    expect(body).toMatchObject({ scope: 'paris-11', from: '2026-05-03', to: '2026-05-07', bucket: 'day' });
    // Taxonomy order, and quincaillerie absent: its only weighing was voided.
    expect(body.categories).toEqual(['textile', 'mobilier', 'livres']);
    expect(body.buckets.map((d) => d.start)).toEqual(['2026-05-03', '2026-05-04', '2026-05-05', '2026-05-06', '2026-05-07']);
    expect(bucket(body, '2026-05-03')).toEqual({ start: '2026-05-03', totalKg: 0, byCategory: { textile: 0, mobilier: 0, livres: 0 } });
    expect(bucket(body, '2026-05-04')).toEqual({ start: '2026-05-04', totalKg: 46.86, byCategory: { textile: 16.86, mobilier: 30, livres: 0 } });
    // 0.1 + 0.2 is 0.30000000000000004 in floating point: kg are rounded to grams.
    expect(bucket(body, '2026-05-06')).toEqual({ start: '2026-05-06', totalKg: 0.3, byCategory: { textile: 0, mobilier: 0, livres: 0.3 } });
    // Six lines: the voided one and its void cancel out.
    expect(body.totals).toEqual({ kg: 47.16, lines: 5, byCategory: { textile: 16.86, mobilier: 30, livres: 0.3 } });
    expect(body.byCollectType).toEqual({ 'apport-volontaire': 12.6, 'collecte-domicile': 4.56, debarras: 30 });
    expect(body.byDistrict).toEqual({ '': 4.86, 'paris-11e': 12.3, 'paris-20e': 30 });
  });

  it('compares with the period just before and the same dates last year', async () => {
    const { body } = await collecte('from=2026-05-03&to=2026-05-09');
    expect(body.previous).toEqual({ from: '2026-04-26', to: '2026-05-02', kg: 5, byCategory: { livres: 5 } });
    expect(body.lastYear).toEqual({ from: '2025-05-03', to: '2025-05-09', kg: 20, byCategory: { textile: 20 } });
    // A whole month compares with the whole previous month.
    expect((await collecte('from=2026-05-01&to=2026-05-31')).body.previous).toMatchObject({ from: '2026-04-01', to: '2026-04-30', kg: 5 });
  });

  it('folds local days into Monday weeks, months and years', async () => {
    const weeks = (await collecte('from=2026-04-27&to=2026-05-10&bucket=week')).body;
    expect(weeks.buckets.map((b) => [b.start, b.totalKg])).toEqual([
      ['2026-04-27', 5],
      ['2026-05-04', 47.16],
    ]);
    const months = (await collecte('from=2026-03-01&to=2026-10-31&bucket=month')).body;
    expect(months.buckets.map((b) => [b.start, b.totalKg])).toEqual([
      ['2026-03-01', 7],
      ['2026-04-01', 5],
      ['2026-05-01', 47.16],
      ['2026-06-01', 0],
      ['2026-07-01', 0],
      ['2026-08-01', 0],
      ['2026-09-01', 0],
      ['2026-10-01', 56],
    ]);
    const years = (await collecte('from=2025-01-01&to=2026-12-31&bucket=year')).body;
    expect(years.buckets.map((b) => [b.start, b.totalKg])).toEqual([
      ['2025-01-01', 20],
      ['2026-01-01', 115.16],
    ]);
  });

  it('counts a renamed category and its former id as one: history does not split', async () => {
    // The site stored "vetements" until it renamed the category to "textile" (formerIds keeps the link).
    await weighings(weighing('2026-06-01T10:00', 3, { category: 'vetements' }), weighing('2026-06-02T10:00', 4));
    const renamed = taxonomySchema.parse({
      categories: [{ id: 'textile', label: { fr: 'Textile et linge', en: 'Textiles' }, color: '#d1495b', formerIds: ['vetements'] }],
    });
    const renamedApp = appWith(renamed);
    const merged = (await renamedApp.inject({ method: 'GET', url: '/api/v1/reports/collecte?from=2026-06-01&to=2026-06-02' })).json() as CollecteReport;
    await renamedApp.close();
    expect(merged.categories).toEqual(['textile']);
    expect(merged.buckets.map((d) => d.byCategory)).toEqual([{ textile: 3 }, { textile: 4 }]);
    // Without the link, the old id stays a category of its own (after the taxonomy's ones).
    const { body } = await collecte('from=2026-06-01&to=2026-06-02');
    expect(body.categories).toEqual(['textile', 'vetements']);
  });

  it('puts weighings on their local day across the spring-forward change (23-hour day)', async () => {
    const { body } = await collecte('from=2026-03-28&to=2026-03-31');
    expect(body.buckets.map((d) => [d.start, d.totalKg])).toEqual([
      ['2026-03-28', 0],
      ['2026-03-29', 3], // 00:30 CET and 23:30 CEST
      ['2026-03-30', 4], // 00:30 CEST the next day
      ['2026-03-31', 0],
    ]);
  });

  it('puts weighings on their local day across the fall-back change (25-hour day)', async () => {
    const { body } = await collecte('from=2026-10-24&to=2026-10-27');
    expect(body.buckets.map((d) => [d.start, d.totalKg])).toEqual([
      ['2026-10-24', 0],
      ['2026-10-25', 24], // 00:30 CEST and 23:30 CET
      ['2026-10-26', 32], // 00:30 CET the next day
      ['2026-10-27', 0],
    ]);
  });

  it('bounds a one-day range by local midnights, not UTC ones', async () => {
    expect((await collecte('from=2026-03-29&to=2026-03-29')).body.buckets).toEqual([{ start: '2026-03-29', totalKg: 3, byCategory: { deee: 3 } }]);
    expect((await collecte('from=2026-10-26&to=2026-10-26')).body.buckets).toEqual([{ start: '2026-10-26', totalKg: 32, byCategory: { jouets: 32 } }]);
  });

  it('shows another site of the network on its own local days, and the whole network as one', async () => {
    expect((await collecte(`from=2026-05-04&to=2026-05-04&site=${reunion.id}`)).body.totals.kg).toBe(99);
    const network = (await collecte('from=2026-05-04&to=2026-05-04&site=*')).body;
    expect(network.scope).toBe('*');
    expect(network.buckets).toEqual([{ start: '2026-05-04', totalKg: 145.86, byCategory: { textile: 115.86, mobilier: 30 } }]);
    const unknown = await collecte('from=2026-05-04&to=2026-05-04&site=ailleurs');
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain('ailleurs');
  });

  it('writes a chart as CSV for French spreadsheets, exact to the gram', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/reports/collecte?from=2026-05-04&to=2026-05-06&format=csv&table=periodes' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="trebuchet-collecte-periodes-paris-11.csv"');
    expect(res.body).toBe('\uFEFFDébut;Textile (kg);Mobilier (kg);Livres (kg);Total (kg)\r\n2026-05-04;16,86;30;0;46,86\r\n2026-05-05;0;0;0;0\r\n2026-05-06;0;0;0,3;0,3\r\n');
    const en = await app.inject({ method: 'GET', url: '/api/v1/reports/collecte?from=2026-05-04&to=2026-05-04&format=csv&table=types-de-collecte&lang=en' });
    expect(en.body).toBe('\uFEFFCollect type,kg\r\nCounter drop-off,12.3\r\nHome pick-up,4.56\r\nClearance,30\r\n');
    const bad = await get('/api/v1/reports/collecte?from=2026-05-04&to=2026-05-04&format=csv&table=nope');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('periodes, categories, types-de-collecte, provenances');
  });

  it.each([
    ['to=2026-05-04', 'from'],
    ['from=2026-05-04', 'to'],
    ['from=04/05/2026&to=2026-05-04', 'from'],
    ['from=2026-02-30&to=2026-03-01', 'from'],
    ['from=2026-05-04&to=2026-05-03', 'to'],
    ['from=2020-01-01&to=2026-01-02', 'to'],
    ['from=2026-05-04&to=2026-05-04&site=Paris%2011', 'site'],
    ['from=2026-05-04&to=2026-05-04&bucket=fortnight', 'bucket'],
    ['from=2026-05-04&to=2026-05-04&days=30', 'days'],
  ])('answers 400 naming the field for %s', async (query, field) => {
    const { status, body } = await collecte(query);
    expect(status).toBe(400);
    expect(body.fields).toContain(field);
    expect(body.message).toContain(field);
  });
});

describe('sorties and valorisation', () => {
  beforeAll(async () => {
    await weighings(
      weighing('2027-02-01T10:00', 100),
      weighing('2027-02-01T10:05', 50, { category: 'mobilier' }),
      outgoing('2027-02-02T10:00', 60, 'textile', 'reemploi'),
      outgoing('2027-02-02T11:00', 25.5, 'textile', 'recyclage', 'le-relais'),
      outgoing('2027-02-03T11:00', 4.5, 'textile', 'recyclage', 'ecotextile'),
      outgoing('2027-02-03T12:00', 10, 'mobilier', 'decheterie'),
      outgoing('2027-02-03T12:30', 20, 'mobilier', 'don'),
    );
  });

  it('splits outgoing kg by destination and partner, and computes the valorisation rate per category', async () => {
    const { status, body } = await get<SortiesReport>('/api/v1/reports/sorties?from=2027-02-01&to=2027-02-28&bucket=month');
    expect(status).toBe(200);
    expect(body.destinations).toEqual(['reemploi', 'don', 'recyclage', 'decheterie']);
    expect(body.buckets).toEqual([{ start: '2027-02-01', totalKg: 120, byDestination: { reemploi: 60, don: 20, recyclage: 30, decheterie: 10 } }]);
    expect(body.byPartner).toEqual([
      { destination: 'reemploi', partner: '', kg: 60 },
      { destination: 'recyclage', partner: 'le-relais', kg: 25.5 },
      { destination: 'don', partner: '', kg: 20 },
      { destination: 'decheterie', partner: '', kg: 10 },
      { destination: 'recyclage', partner: 'ecotextile', kg: 4.5 },
    ]);
    // (60 + 20 + 30) valorised of 150 collected; déchetterie is not valorisation.
    expect(body.valorisation).toMatchObject({ collectedKg: 150, outKg: 120, valorisedKg: 110, rate: 0.7333 });
    expect(body.valorisation.byCategory).toEqual([
      { category: 'textile', collectedKg: 100, byDestination: { reemploi: 60, don: 0, recyclage: 30, decheterie: 0 }, outKg: 90, valorisedKg: 90, rate: 0.9 },
      { category: 'mobilier', collectedKg: 50, byDestination: { reemploi: 0, don: 20, recyclage: 0, decheterie: 10 }, outKg: 30, valorisedKg: 20, rate: 0.4 },
    ]);
    const csv = await app.inject({ method: 'GET', url: '/api/v1/reports/sorties?from=2027-02-01&to=2027-02-28&format=csv&table=valorisation' });
    expect(csv.body.split('\r\n')[1]).toBe('Textile;100;60;0;30;0;90;90;90');
  });
});

describe('fréquentation', () => {
  beforeAll(async () => {
    const v = (...xs: ReturnType<typeof visits>[]) => store(xs.map((x) => visitsPoint({ ...origin, device: 'porte' }, x)));
    await v(
      // Monday 1 March 2027: 10:15 and 10:45 fall in the same local hour; 17:00 in another.
      visits('2027-03-01T10:15', 5, 1),
      visits('2027-03-01T10:45', 3, 4),
      visits('2027-03-01T17:00', 2, 5),
      // Saturday 27 March 2027, and the spring-forward Sunday 28 March 2027 (03:30 exists only in CEST).
      visits('2027-03-27T15:00', 40, 38),
      visits('2027-03-28T03:30', 1, 0),
      visits('2027-03-28T23:30', 7, 7),
      // A year earlier, for the comparison.
      visits('2026-03-02T11:00', 9, 9),
    );
    await weighings(weighing('2027-03-01T10:00', 58));
  });

  it('counts visitors per local day and hour, per weekday, against last year, and kg per visitor', async () => {
    const { status, body } = await get<FrequentationReport>('/api/v1/reports/frequentation?from=2027-03-01&to=2027-03-31');
    expect(status).toBe(200);
    expect(body.buckets.filter((b) => b.visitors).map((b) => [b.start, b.visitors])).toEqual([
      ['2027-03-01', 10],
      ['2027-03-27', 40],
      ['2027-03-28', 8],
    ]);
    expect(body.heatmap[0]![10]).toBe(8); // Monday 10 h
    expect(body.heatmap[0]![17]).toBe(2);
    expect(body.heatmap[5]![15]).toBe(40); // Saturday 15 h
    expect(body.heatmap[6]![3]).toBe(1); // Sunday 3 h (CEST)
    expect(body.heatmap[6]![23]).toBe(7);
    expect(body.heatmap.flat().reduce((a, b) => a + b, 0)).toBe(58);
    // March 2027 has five Mondays.
    expect(body.byWeekday[0]).toEqual({ weekday: 0, days: 5, visitors: 10, average: 2 });
    expect(body.lastYear).toMatchObject({ from: '2026-03-01', to: '2026-03-31', visitors: 9 });
    expect(body.totals).toEqual({ visitors: 58, exits: 55, collectedKg: 58, kgPerVisitor: 1 });
  });

  it("puts a network's visitors on each site's own local weekday and hour", async () => {
    // A year no other test uses (the bilan counts its year's visitors). 01:30 on Monday 3 June 2030 in Saint-Denis is still Sunday 21:30 in UTC (23:30 in Paris).
    await store([
      visitsPoint({ ...origin, site: reunion.id, device: 'porte' }, visits('2030-06-03T01:30', 6, 1, reunion.timeZone)),
      visitsPoint({ ...origin, device: 'porte' }, visits('2030-06-03T01:30', 4, 0)),
      visitsPoint({ ...origin, site: reunion.id, device: 'porte' }, visits('2030-06-08T18:10', 3, 3, reunion.timeZone)),
    ]);
    const { status, body } = await get<FrequentationReport>('/api/v1/reports/frequentation?from=2030-06-01&to=2030-06-30&site=*');
    expect(status).toBe(200);
    expect(body.heatmap[0]![1]).toBe(10); // Monday 1 h, local to each site
    expect(body.heatmap[5]![18]).toBe(3); // Saturday 18 h in Saint-Denis
    expect(body.heatmap.flat().reduce((a, b) => a + b, 0)).toBe(13);
    expect(body.buckets.filter((b) => b.visitors).map((b) => [b.start, b.visitors])).toEqual([
      ['2030-06-03', 10],
      ['2030-06-08', 3],
    ]);
    expect(body.totals).toMatchObject({ visitors: 13, exits: 4 });
  });
});

describe('bilan annuel', () => {
  beforeAll(async () => {
    const b = (...xs: ReturnType<typeof bon>[]) => store(xs.map((x) => bonPoint({ site: site.id, agent: 'comptoir' }, x)));
    await b(
      bon('2027-04-01T10:00', 12.5, 2),
      bon('2027-04-01T11:00', 7.5, 1),
      bon('2027-04-02T09:00', 88, 4, { collectType: 'collecte-domicile', district: 'paris-11e' }),
      bon('2027-04-02T12:00', 0, 0, { state: 'abandoned' }),
      bon('2027-04-03T12:00', 30, 2, { direction: 'out', collectType: undefined, destination: 'reemploi' }),
    );
  });

  it("gives the funder's table: kg by category and destination, valorisation, customers, bons by collect type", async () => {
    const { status, body } = await get<BilanReport>('/api/v1/reports/bilan?year=2027');
    expect(status).toBe(200);
    expect(body).toMatchObject({ year: 2027, from: '2027-01-01', to: '2027-12-31', customers: 58 });
    expect(body.totals).toMatchObject({ collectedKg: 208, outKg: 120, valorisedKg: 110, rate: 0.5288 });
    expect(body.collectTypes).toEqual([
      { collectType: 'apport-volontaire', bons: 2, kg: 20 },
      { collectType: 'collecte-domicile', bons: 1, kg: 88 },
    ]);
    expect(body.bons).toEqual({ in: 3, out: 1, abandoned: 1 });
    const csv = await app.inject({ method: 'GET', url: '/api/v1/reports/bilan?year=2027&format=csv&table=resume' });
    expect(csv.headers['content-disposition']).toBe('attachment; filename="trebuchet-bilan-2027-resume-paris-11.csv"');
    expect(csv.body).toContain('Clients (entrées comptées);58\r\n');
    expect(csv.body).toContain('Taux de valorisation (%);52,88\r\n');
  });
});

describe('today', () => {
  it("gives today's kg, bons and visitors, and today's latest weighings", async () => {
    const now = DateTime.now().setZone(ZONE);
    // Earlier today in local time, whatever the hour the test runs at (midnight included).
    const earlier = (minutes: number) => DateTime.max(now.startOf('day'), now.minus({ minutes })).toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS");
    const a = weighing(earlier(30), 5.5, { category: 'livres' });
    const b = weighing(earlier(10), 2.25, { category: 'textile', source: 'manual' });
    await weighings(a, b);
    await store([bonPoint({ site: site.id, agent: 'comptoir' }, bon(earlier(30), 7.75, 2)), visitsPoint({ ...origin, device: 'porte' }, visits(earlier(20), 6, 2))]);

    const { status, body } = await get<TodayReport>('/api/v1/reports/today');
    expect(status).toBe(200);
    expect(body).toEqual({
      scope: 'paris-11',
      date: now.toISODate(),
      totalKg: 7.75,
      categories: ['textile', 'livres'],
      byCategory: { textile: 2.25, livres: 5.5 },
      bons: { count: 1, avgKg: 7.75 },
      visitors: { in: 6, out: 2, occupancy: 4 },
    });

    const latest = await queryLatestWeighings({ influx, taxonomy: DEFAULT_TAXONOMY }, { id: site.id, sites: [site] }, 10);
    expect(latest.map((w) => [w.id, w.category, w.netKg, w.source])).toEqual([
      [b.id, 'textile', 2.25, 'manual'],
      [a.id, 'livres', 5.5, 'auto'],
    ]);
    expect(latest[0]?.capturedAt).toBe(new Date(b.capturedAt).toISOString());
    const bad = await get('/api/v1/weighings/latest?limit=1000');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('limit');
  });

  it("gives a network's today as each site's own today", async () => {
    // 23:00 in Paris on 14 July is already 01:00 on 15 July in Saint-Denis.
    const now = local('2026-07-14T23:00').toJSDate();
    const reunionOrigin = { ...origin, site: reunion.id };
    const inReunion = (localTime: string, netKg: number, category: string) => weighingAt(local(localTime, reunion.timeZone), netKg, category);
    await store([
      weighingPoint(origin, weighing('2026-07-14T10:00', 12)),
      weighingPoint(reunionOrigin, inReunion('2026-07-15T00:30', 5, 'livres')),
      // Saint-Denis' yesterday, though Paris' today.
      weighingPoint(reunionOrigin, inReunion('2026-07-14T20:00', 9, 'deee')),
      visitsPoint({ ...origin, device: 'porte' }, visits('2026-07-14T10:00', 6, 2)),
      visitsPoint({ ...reunionOrigin, device: 'porte' }, visits('2026-07-15T00:40', 3, 1, reunion.timeZone)),
      visitsPoint({ ...reunionOrigin, device: 'porte' }, visits('2026-07-14T20:00', 4, 4, reunion.timeZone)),
    ]);
    const report = await todayReport({ influx, taxonomy: DEFAULT_TAXONOMY }, { id: '*', sites: [site, reunion] }, now);
    expect(report).toMatchObject({
      date: '2026-07-14',
      totalKg: 17,
      categories: ['textile', 'livres'],
      byCategory: { textile: 12, livres: 5 },
      visitors: { in: 9, out: 3, occupancy: 6 },
    });
  });

  it("merges a network's latest weighings newest first, each site on its own local today, in one request", async () => {
    // 23:00 in Paris on 4 June is already 01:00 on 5 June in Saint-Denis (UTC+4).
    const now = local('2026-06-04T23:00').toJSDate();
    const montreuil = siteSchema.parse({ id: 'montreuil', name: 'Ressourcerie de Montreuil', timeZone: ZONE });
    const inReunion = (localTime: string, netKg: number, category: string) => weighingAt(local(localTime, reunion.timeZone), netKg, category);
    const cancelled = weighing('2026-06-04T08:00', 3);
    const voided = weighing('2026-06-04T08:00', -3, { entry: 'void', seq: cancelled.seq, voids: cancelled.id, voidedAt: at('2026-06-04T08:05') });
    const lateParis = weighing('2026-06-04T22:50', 20, { category: 'mobilier' });
    const yesterdayParis = weighing('2026-06-03T23:30', 1, { category: 'livres' });
    // Saint-Denis' today already, but Paris' tomorrow.
    const tomorrowParis = weighing('2026-06-05T00:30', 2);
    // Saint-Denis' yesterday, though today in Paris and in UTC.
    const yesterdayReunion = inReunion('2026-06-04T23:30', 7, 'deee');
    const earlyReunion = inReunion('2026-06-05T00:30', 2.5, 'jouets');
    const lateReunion = inReunion('2026-06-05T00:55', 4, 'livres');
    const inMontreuil = weighing('2026-06-04T12:00', 1.5);
    await store([
      ...[cancelled, voided, lateParis, yesterdayParis, tomorrowParis].map((w) => weighingPoint(origin, w)),
      weighingPoint({ ...origin, site: montreuil.id }, inMontreuil),
      ...[yesterdayReunion, earlyReunion, lateReunion].map((w) => weighingPoint({ ...origin, site: reunion.id }, w)),
    ]);

    const requests: string[] = [];
    const counted = { queryRaw: (q: string) => (requests.push(q), influx.queryRaw(q)) } as unknown as InfluxStore;
    const network = { id: '*', sites: [site, reunion, montreuil] };
    const rows = (ws: LatestWeighing[]) => ws.map((w) => [w.id, w.site, w.category, w.netKg, w.entry]);
    const latest = await queryLatestWeighings({ influx: counted, taxonomy: DEFAULT_TAXONOMY }, network, 10, now);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.split(';\n')).toHaveLength(2);
    expect(latest).toHaveLength(6);
    expect(rows(latest.slice(0, 4))).toEqual([
      [lateReunion.id, reunion.id, 'livres', 4, 'normal'],
      [lateParis.id, site.id, 'mobilier', 20, 'normal'],
      [earlyReunion.id, reunion.id, 'jouets', 2.5, 'normal'],
      [inMontreuil.id, montreuil.id, 'textile', 1.5, 'normal'],
    ]);
    // A void entry keeps the capture time of the line it cancels: the two come in either order.
    expect(rows(latest.slice(4))).toEqual(
      expect.arrayContaining([
        [cancelled.id, site.id, 'textile', 3, 'normal'],
        [voided.id, site.id, 'textile', -3, 'void'],
      ]),
    );
    // The limit holds for the merged list, not for each time zone.
    const two = await queryLatestWeighings({ influx, taxonomy: DEFAULT_TAXONOMY }, network, 2, now);
    expect(two.map((w) => w.id)).toEqual([lateReunion.id, lateParis.id]);
  });

  it('answers weighings/latest for the whole network (site=*), and refuses a site it does not know', async () => {
    const justBefore = (zone: string) => {
      const now = DateTime.now().setZone(zone);
      return DateTime.max(now.startOf('day'), now.minus({ minutes: 1 }));
    };
    const inParis = weighingAt(justBefore(ZONE), 1.25, 'livres');
    const inReunion = weighingAt(justBefore(reunion.timeZone), 6.5, 'textile');
    await store([weighingPoint(origin, inParis), weighingPoint({ ...origin, site: reunion.id }, inReunion)]);

    const { status, body } = await get<{ site: string; weighings: LatestWeighing[] }>('/api/v1/weighings/latest?site=*');
    expect(status).toBe(200);
    expect(body.site).toBe('*');
    const mine = body.weighings.filter((w) => w.id === inParis.id || w.id === inReunion.id).map((w) => [w.id, w.site, w.category, w.netKg]);
    expect(mine).toHaveLength(2);
    expect(mine).toEqual(
      expect.arrayContaining([
        [inParis.id, site.id, 'livres', 1.25],
        [inReunion.id, reunion.id, 'textile', 6.5],
      ]),
    );
    const times = body.weighings.map((w) => Date.parse(w.capturedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const one = await get<{ site: string; weighings: LatestWeighing[] }>(`/api/v1/weighings/latest?site=${reunion.id}`);
    expect(one.body.site).toBe(reunion.id);
    expect(new Set(one.body.weighings.map((w) => w.site))).toEqual(new Set([reunion.id]));

    const invalid = await get('/api/v1/weighings/latest?site=Paris%2011');
    expect(invalid.status).toBe(400);
    expect(invalid.body.fields).toEqual(['site']);
    expect(invalid.body.message).toMatch(/^site: /);
    const unknown = await get('/api/v1/weighings/latest?site=ailleurs');
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain('ailleurs');
  });
});
