import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { InfluxDB } from 'influx';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryDailyWeighings, registerDailyWeighings } from '../../dashboards/api/daily-weighings.js';
import type { DailyWeighings } from '../../dashboards/api/types.js';
import { queryLatestWeighings, queryTodayWeighings, registerSite } from '../../dashboards/api/site.js';
import { weighingPoint } from '../../ingest/points.js';
import { weighingSchema, type WeighingInput } from '../../protocol/index.js';
import { siteSchema } from '../../runtime/connections.js';
import { DEFAULT_TAXONOMY, taxonomySchema } from '../../protocol/taxonomy.js';
import { startInfluxd, type RunningInfluxd } from '../helpers/influxd.js';

const ZONE = 'Europe/Paris';
const site = siteSchema.parse({ id: 'paris-11', name: 'Ressourcerie du 11e', timeZone: ZONE });
const origin = { site: site.id, agent: 'comptoir', device: 'balance-1' };

let influxd: RunningInfluxd;
let influx: InfluxDB;
let app: FastifyInstance;
let seq = 0;

/** A weighing at a local wall-clock time of the site, shaped and stored exactly as ingest stores it. */
function weighing(localTime: string, netKg: number, over: Partial<WeighingInput> = {}) {
  const capturedAt = DateTime.fromISO(localTime, { zone: ZONE }).toISO();
  if (!capturedAt) throw new Error(`bad local time ${localTime}`);
  return weighingSchema.parse({
    v: 1,
    id: randomUUID(),
    seq: seq++,
    capturedAt,
    clockSynced: true,
    netKg,
    direction: 'in',
    category: 'textile',
    collectType: 'apport-volontaire',
    source: 'auto',
    ...over,
  });
}

async function store(...ws: ReturnType<typeof weighing>[]): Promise<void> {
  await influx.writePoints(ws.map((w) => weighingPoint(origin, w)));
}

async function daily(query: string): Promise<{ status: number; body: DailyWeighings & { message?: string; fields?: string[] } }> {
  const res = await app.inject({ method: 'GET', url: `/api/v1/weighings/daily?${query}` });
  return { status: res.statusCode, body: res.json() };
}

function day(body: DailyWeighings, date: string) {
  const found = body.days.find((d) => d.date === date);
  if (!found) throw new Error(`no day ${date} in ${body.days.map((d) => d.date).join(', ')}`);
  return found;
}

beforeAll(async () => {
  influxd = await startInfluxd();
  influx = new InfluxDB({ host: '127.0.0.1', port: influxd.port, database: 'trebuchet' });
  app = Fastify();
  const deps = { influx, site, taxonomy: DEFAULT_TAXONOMY };
  registerDailyWeighings(app, deps);
  registerSite(app, deps);
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await influxd?.stop();
});

describe('before anything is stored', () => {
  it('answers zeros when the database does not exist yet', async () => {
    const { status, body } = await daily('from=2026-01-01&to=2026-01-03');
    expect(status).toBe(200);
    expect(body.categories).toEqual([]);
    expect(body.days).toEqual([
      { date: '2026-01-01', totalKg: 0, byCategory: {} },
      { date: '2026-01-02', totalKg: 0, byCategory: {} },
      { date: '2026-01-03', totalKg: 0, byCategory: {} },
    ]);
  });
});

describe('GET /api/v1/weighings/daily', () => {
  beforeAll(async () => {
    await influx.createDatabase('trebuchet');
    await store(
      // An ordinary week in May: two categories, one empty day, outgoing and foreign weighings to ignore.
      weighing('2026-05-04T09:15', 12.3),
      weighing('2026-05-04T10:40', 4.56),
      weighing('2026-05-04T11:00', 30, { category: 'mobilier' }),
      weighing('2026-05-06T16:20', 0.1, { category: 'livres' }),
      weighing('2026-05-06T16:21', 0.2, { category: 'livres' }),
      weighing('2026-05-06T17:00', 50, { direction: 'out', collectType: undefined, destination: 'recyclage' }),
      // DST, spring forward (Sunday 29 March 2026, 02:00 → 03:00).
      weighing('2026-03-29T00:30', 1, { category: 'deee' }),
      weighing('2026-03-29T23:30', 2, { category: 'deee' }),
      weighing('2026-03-30T00:30', 4, { category: 'deee' }),
      // DST, fall back (Sunday 25 October 2026, 03:00 → 02:00).
      weighing('2026-10-25T00:30', 8, { category: 'jouets' }),
      weighing('2026-10-25T23:30', 16, { category: 'jouets' }),
      weighing('2026-10-26T00:30', 32, { category: 'jouets' }),
    );
    await influx.writePoints([weighingPoint({ ...origin, site: 'ailleurs' }, weighing('2026-05-04T09:00', 99))]);
    // A correction: the compensating entry has the same timestamp and tags, a negative weight and entry=void.
    const wrong = weighing('2026-05-05T14:00', 7.25, { category: 'quincaillerie' });
    await store(wrong, { ...wrong, id: randomUUID(), netKg: -7.25, entry: 'void' });
  });

  it('sums kg per local day and category, incoming only, this site only, with every day present', async () => {
    const { status, body } = await daily('from=2026-05-03&to=2026-05-07');
    expect(status).toBe(200);
    expect(body).toMatchObject({ site: 'paris-11', timeZone: ZONE, from: '2026-05-03', to: '2026-05-07' });
    // Taxonomy order, and quincaillerie absent: its only weighing was voided.
    expect(body.categories).toEqual(['textile', 'mobilier', 'livres']);
    expect(body.days.map((d) => d.date)).toEqual(['2026-05-03', '2026-05-04', '2026-05-05', '2026-05-06', '2026-05-07']);
    expect(day(body, '2026-05-03')).toEqual({ date: '2026-05-03', totalKg: 0, byCategory: { textile: 0, mobilier: 0, livres: 0 } });
    expect(day(body, '2026-05-04')).toEqual({ date: '2026-05-04', totalKg: 46.86, byCategory: { textile: 16.86, mobilier: 30, livres: 0 } });
    // 0.1 + 0.2 is 0.30000000000000004 in floating point: kg are rounded to grams.
    expect(day(body, '2026-05-06')).toEqual({ date: '2026-05-06', totalKg: 0.3, byCategory: { textile: 0, mobilier: 0, livres: 0.3 } });
  });

  it('counts a renamed category and its former id as one: history does not split', async () => {
    // The site stored "vetements" until it renamed the category to "textile" (formerIds keeps the link).
    await store(weighing('2026-06-01T10:00', 3, { category: 'vetements' }), weighing('2026-06-02T10:00', 4));
    const renamed = taxonomySchema.parse({
      categories: [{ id: 'textile', label: { fr: 'Textile et linge', en: 'Textiles' }, color: '#d1495b', formerIds: ['vetements'] }],
    });
    const merged = await queryDailyWeighings(influx, { site: site.id, timeZone: ZONE, from: '2026-06-01', to: '2026-06-02' }, renamed);
    expect(merged.categories).toEqual(['textile']);
    expect(merged.days.map((d) => d.byCategory)).toEqual([{ textile: 3 }, { textile: 4 }]);
    // Without the link, the old id stays a category of its own (after the taxonomy's ones).
    const { body } = await daily('from=2026-06-01&to=2026-06-02');
    expect(body.categories).toEqual(['textile', 'vetements']);
  });

  it('nets a void entry out to zero', async () => {
    const { body } = await daily('from=2026-05-05&to=2026-05-05');
    expect(body.categories).toEqual([]);
    expect(body.days).toEqual([{ date: '2026-05-05', totalKg: 0, byCategory: {} }]);
  });

  it('puts weighings on their local day across the spring-forward change (23-hour day)', async () => {
    const { body } = await daily('from=2026-03-28&to=2026-03-31');
    expect(body.days.map((d) => [d.date, d.totalKg])).toEqual([
      ['2026-03-28', 0],
      ['2026-03-29', 3], // 00:30 CET and 23:30 CEST
      ['2026-03-30', 4], // 00:30 CEST the next day
      ['2026-03-31', 0],
    ]);
  });

  it('puts weighings on their local day across the fall-back change (25-hour day)', async () => {
    const { body } = await daily('from=2026-10-24&to=2026-10-27');
    expect(body.days.map((d) => [d.date, d.totalKg])).toEqual([
      ['2026-10-24', 0],
      ['2026-10-25', 24], // 00:30 CEST and 23:30 CET
      ['2026-10-26', 32], // 00:30 CET the next day
      ['2026-10-27', 0],
    ]);
  });

  it('bounds a one-day range by local midnights, not UTC ones', async () => {
    const spring = await daily('from=2026-03-29&to=2026-03-29');
    expect(spring.body.days).toEqual([{ date: '2026-03-29', totalKg: 3, byCategory: { deee: 3 } }]);
    const fall = await daily('from=2026-10-26&to=2026-10-26');
    expect(fall.body.days).toEqual([{ date: '2026-10-26', totalKg: 32, byCategory: { jouets: 32 } }]);
  });

  it('accepts its own site id and refuses another one', async () => {
    expect((await daily('from=2026-05-04&to=2026-05-04&site=paris-11')).body.days[0]?.totalKg).toBe(46.86);
    const other = await daily('from=2026-05-04&to=2026-05-04&site=ailleurs');
    expect(other.status).toBe(404);
    expect(other.body.message).toContain('ailleurs');
  });

  it.each([
    ['to=2026-05-04', 'from'],
    ['from=2026-05-04', 'to'],
    ['from=04/05/2026&to=2026-05-04', 'from'],
    ['from=2026-02-30&to=2026-03-01', 'from'],
    ['from=2026-05-04&to=2026-05-03', 'to'],
    ['from=2025-01-01&to=2026-01-02', 'to'],
    ['from=2026-05-04&to=2026-05-04&site=Paris%2011', 'site'],
    ['from=2026-05-04&to=2026-05-04&days=30', 'days'],
  ])('answers 400 naming the field for %s', async (query, field) => {
    const { status, body } = await daily(query);
    expect(status).toBe(400);
    expect(body.fields).toContain(field);
    expect(body.message).toContain(field);
  });

  it('allows a full leap year of 366 days', async () => {
    const { status, body } = await daily('from=2028-01-01&to=2028-12-31');
    expect(status).toBe(200);
    expect(body.days).toHaveLength(366);
  });
});

describe('GET /api/v1/weighings/today and /latest', () => {
  it("reuses the daily sums for today's local day and lists today's latest weighings", async () => {
    const now = DateTime.now().setZone(ZONE);
    // Earlier today in local time, whatever the hour the test runs at (midnight included).
    const earlier = (minutes: number) => DateTime.max(now.startOf('day'), now.minus({ minutes })).toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS");
    const a = weighing(earlier(30), 5.5, { category: 'livres' });
    const b = weighing(earlier(10), 2.25, { category: 'textile', source: 'manual' });
    await store(a, b);

    const res = await app.inject({ method: 'GET', url: '/api/v1/weighings/today' });
    expect(res.statusCode).toBe(200);
    const today = res.json();
    expect(today).toMatchObject({ site: 'paris-11', timeZone: ZONE, date: now.toISODate(), totalKg: 7.75 });
    expect(today.byCategory).toMatchObject({ livres: 5.5, textile: 2.25 });
    expect(await queryTodayWeighings({ influx, site, taxonomy: DEFAULT_TAXONOMY })).toEqual(today);

    const latest = await queryLatestWeighings({ influx, site, taxonomy: DEFAULT_TAXONOMY }, 10);
    expect(latest.map((w) => [w.id, w.category, w.netKg, w.source])).toEqual([
      [b.id, 'textile', 2.25, 'manual'],
      [a.id, 'livres', 5.5, 'auto'],
    ]);
    expect(latest[0]?.capturedAt).toBe(new Date(b.capturedAt).toISOString());
    const bad = await app.inject({ method: 'GET', url: '/api/v1/weighings/latest?limit=1000' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toContain('limit');
  });
});
