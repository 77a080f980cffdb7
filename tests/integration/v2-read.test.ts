import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bilanReport } from '../../dashboards/reports/bilan.js';
import { collecteReport } from '../../dashboards/reports/collecte.js';
import { yearScenario } from '../../firmware-sim/scenarios/year-scenario.js';
import { DEFAULT_TAXONOMY } from '../../protocol/taxonomy.js';
import { influxConnectionSchema, siteSchema } from '../../runtime/connections.js';
import { Influx2Store } from '../../storage/backends/influxdb-2.js';
import { Influx3Store } from '../../storage/backends/influxdb-3.js';
import { bonPoint, visitsPoint, weighingPoint } from '../../storage/points.js';
import { rebuildSpans } from '../../storage/rollups.js';
import { syncRollups } from '../../storage/rollup-sync.js';
import { startInfluxd, type RunningInfluxd } from '../helpers/influxd.js';
import { testStore } from '../helpers/store.js';

const SITE = 'lilas';
const ZONE = 'Europe/Paris';
const TOKEN = 'jeton-de-test';

/**
 * The read path of the 2.x/3.x backends. Their InfluxQL goes through the client's transport to `/query`,
 * the endpoint InfluxDB 1.x serves too: so it runs here against a real InfluxDB 1.6, and must give the
 * reports exactly what node-influx gives them. The DBRP mappings 2.x needs are made through its API,
 * which no server here speaks: that part runs against a stand-in of the documented endpoints
 * (influxdata/openapi contracts/oss.yml: GET /api/v2/buckets, GET and POST /api/v2/dbrps).
 */
describe('InfluxQL through the 2.x/3.x backends', () => {
  let influxd: RunningInfluxd;
  const year = yearScenario({ year: 2025, timeZone: ZONE, seed: 7, donorsPerDay: 20, customersPerDay: 60 });
  const saved = process.env.TREBUCHET_INFLUX_TOKEN;

  beforeAll(async () => {
    process.env.TREBUCHET_INFLUX_TOKEN = TOKEN;
    influxd = await startInfluxd();
    const store = testStore(influxd.url);
    await store.prepare();
    const origin = (device: string) => ({ site: SITE, agent: 'comptoir', device });
    const points = [
      ...year.weighings.map((w) => weighingPoint(origin(w.device), w.message)),
      ...year.visits.map((v) => visitsPoint(origin(v.device), v.message)),
      ...year.bons.map((b) => bonPoint({ site: SITE, agent: 'comptoir' }, b)),
    ];
    for (let i = 0; i < points.length; i += 5_000) await store.write(points.slice(i, i + 5_000), 'raw');
    await syncRollups(store, rebuildSpans(SITE, ZONE, '2025-01-01', '2025-12-31'));
  }, 120_000);
  afterAll(async () => {
    if (saved === undefined) delete process.env.TREBUCHET_INFLUX_TOKEN;
    else process.env.TREBUCHET_INFLUX_TOKEN = saved;
    await influxd?.stop();
  });

  const scope = { id: SITE, sites: [siteSchema.parse({ id: SITE, timeZone: ZONE })] };

  it('gives the reports the same figures as the 1.x client, to the gram', async () => {
    const over1 = { influx: testStore(influxd.url), taxonomy: DEFAULT_TAXONOMY };
    const over3 = { influx: new Influx3Store(influxConnectionSchema.parse({ version: 3, url: influxd.url, database: 'trebuchet' })), taxonomy: DEFAULT_TAXONOMY };
    const bilan = await bilanReport(over3, scope, 2025);
    expect(Math.round(bilan.totals.collectedKg * 1000)).toBe(year.truth.collectedGrams);
    expect(bilan.customers).toBe(year.truth.customers);
    expect(bilan).toEqual(await bilanReport(over1, scope, 2025));
    // A year by day: statements long enough to go in a POST body.
    const range = { from: '2025-01-01', to: '2025-12-31' };
    expect(await collecteReport(over3, scope, range, 'day')).toEqual(await collecteReport(over1, scope, range, 'day'));
  });

  it('finds through them the rollups of the year current, a month read apart', async () => {
    const over3 = new Influx3Store(influxConnectionSchema.parse({ version: 3, url: influxd.url, database: 'trebuchet' }));
    // Nothing to write (3.x would write to trebuchet/rollups), though InfluxDB adds a month's floats in
    // another order than the year's (52.15 against 52.150000000000006 for one day here).
    expect(await syncRollups(over3, rebuildSpans(SITE, ZONE, '2025-03-01', '2025-03-31'))).toEqual({ rounds: 1, written: 0 });
  });
});

interface Dbrp {
  id: string;
  bucketID: string;
  database: string;
  retention_policy: string;
  default: boolean;
  org?: string;
}

/** The documented v2 bucket and DBRP endpoints, enough to see what prepare() asks and creates. */
function v2ApiStandIn(buckets: Record<string, string>, dbrps: Dbrp[]): Promise<{ url: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.headers.authorization !== `Token ${TOKEN}`) return json(401, { code: 'unauthorized', message: 'unauthorized access' });
    if (req.method === 'GET' && url.pathname === '/api/v2/buckets') {
      const name = url.searchParams.get('name');
      return json(200, { buckets: Object.entries(buckets).filter(([n]) => !name || n === name).map(([n, id]) => ({ id, name: n })) });
    }
    if (req.method === 'GET' && url.pathname === '/api/v2/dbrps') {
      const db = url.searchParams.get('db');
      const rp = url.searchParams.get('rp');
      return json(200, { content: dbrps.filter((d) => d.database === db && d.retention_policy === rp) });
    }
    if (req.method === 'POST' && url.pathname === '/api/v2/dbrps') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const created = { id: `dbrp-${dbrps.length + 1}`, ...(JSON.parse(body) as Omit<Dbrp, 'id'>) };
        dbrps.push(created);
        json(201, created);
      });
      return;
    }
    json(404, { code: 'not found', message: 'path not found' });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server, requests })));
}

describe('InfluxDB 2.x preparation: the DBRP mappings InfluxQL reads the buckets by', () => {
  const saved = process.env.TREBUCHET_INFLUX_TOKEN;
  beforeAll(() => void (process.env.TREBUCHET_INFLUX_TOKEN = TOKEN));
  afterAll(() => {
    if (saved === undefined) delete process.env.TREBUCHET_INFLUX_TOKEN;
    else process.env.TREBUCHET_INFLUX_TOKEN = saved;
  });
  const store = (url: string) => new Influx2Store(influxConnectionSchema.parse({ version: 2, url, org: 'reseau', bucket: 'trebuchet', rollupBucket: 'trebuchet-rollups' }));

  it('creates both mappings once, and leaves them as they are at the next start', async () => {
    const dbrps: Dbrp[] = [];
    const api = await v2ApiStandIn({ trebuchet: 'b-raw', 'trebuchet-rollups': 'b-rollups' }, dbrps);
    try {
      await store(api.url).prepare();
      expect(dbrps).toEqual([
        { id: 'dbrp-1', org: 'reseau', bucketID: 'b-raw', database: 'trebuchet', retention_policy: 'autogen', default: true },
        { id: 'dbrp-2', org: 'reseau', bucketID: 'b-rollups', database: 'trebuchet', retention_policy: 'rollups', default: false },
      ]);
      await store(api.url).prepare();
      expect(dbrps).toHaveLength(2);
      expect(api.requests.filter((r) => r.startsWith('POST'))).toHaveLength(2);
    } finally {
      api.server.close();
    }
  });

  it('refuses a mapping that points at another bucket, and a bucket that does not exist, saying what to run', async () => {
    const api = await v2ApiStandIn({ trebuchet: 'b-raw', 'trebuchet-rollups': 'b-rollups', ancien: 'b-old' }, [
      { id: 'x', bucketID: 'b-old', database: 'trebuchet', retention_policy: 'autogen', default: true },
    ]);
    const missing = await v2ApiStandIn({ trebuchet: 'b-raw' }, []);
    try {
      await expect(store(api.url).prepare()).rejects.toThrow(/the DBRP mapping trebuchet\/autogen points at bucket b-old, not trebuchet \(b-raw\): fix it with influx v1 dbrp update/);
      await expect(store(missing.url).prepare()).rejects.toThrow('no bucket trebuchet-rollups in org reseau: create it (influx bucket create -n trebuchet-rollups -o reseau)');
    } finally {
      api.server.close();
      missing.server.close();
    }
  });

  it('refuses a wrong token at start with the fix, and waits for an InfluxDB that does not answer yet', async () => {
    const api = await v2ApiStandIn({}, []);
    try {
      process.env.TREBUCHET_INFLUX_TOKEN = 'mauvais';
      await expect(store(api.url).checkAccess()).rejects.toThrow(/refuses the token \(401\): check TREBUCHET_INFLUX_TOKEN or influx.tokenFile/);
    } finally {
      process.env.TREBUCHET_INFLUX_TOKEN = TOKEN;
      api.server.close();
    }
    await expect(store('http://127.0.0.1:9').checkAccess()).resolves.toBeUndefined();
  });
});
