import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { IPoint } from 'influx';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { yearScenario } from '../../firmware-sim/scenarios/year-scenario.js';
import { BatchWriter } from '../../ingest/batch-writer.js';
import { influxConnectionSchema } from '../../runtime/connections.js';
import { Influx1Store } from '../../storage/backends/influxdb-1.js';
import { Influx2Store } from '../../storage/backends/influxdb-2.js';
import { Influx3Store } from '../../storage/backends/influxdb-3.js';
import { checkInfluxQLFunctions } from '../../storage/influxql-functions.js';
import { bonPoint, visitsPoint, weighingPoint } from '../../storage/points.js';
import { ROLLUPS } from '../../storage/rollups.js';
import { parseLineProtocol, type LinePoint } from '../helpers/line-protocol.js';
import { startVictoriaMetrics, type ExportedSeries, type RunningVictoriaMetrics } from '../helpers/victoria-metrics.js';

const TOKEN = 'jeton-de-test';
const v2 = (url: string) => new Influx2Store(influxConnectionSchema.parse({ version: 2, url, org: 'reseau', bucket: 'trebuchet', rollupBucket: 'trebuchet-rollups' }));

/**
 * Two weeks of the calibrated year as ingest stores them (weighings with their strings and booleans,
 * bons, door buckets), rollup rows with integer counts, and a point whose tag and strings need every
 * escape of the line protocol.
 */
function samplePoints(site: string): IPoint[] {
  const year = yearScenario({ year: 2025, timeZone: 'Europe/Paris', seed: 7 });
  const inFortnight = (iso: string) => iso >= '2025-03-03' && iso < '2025-03-17';
  const origin = (device: string) => ({ site, agent: 'comptoir', device });
  const points = [
    ...year.weighings.filter((w) => inFortnight(w.message.capturedAt)).map((w) => weighingPoint(origin(w.device), w.message)),
    ...year.bons.filter((b) => inFortnight(b.capturedAt)).map((b) => bonPoint({ site, agent: 'comptoir' }, b)),
    ...year.visits.filter((v) => inFortnight(v.message.bucketStart)).map((v) => visitsPoint(origin(v.device), v.message)),
  ];
  const r = ROLLUPS.weighingsByCategory;
  points.push(
    { measurement: r.name, tags: { site, direction: 'in', category: 'textile', entry: 'line' }, fields: { net_kg: 1234.567, n: 88 }, timestamp: '1741561200000000000' },
    {
      measurement: 'bons',
      tags: { site, agent: 'comptoir', direction: 'in', state: 'closed', district: 'Saint-Jean, Nord=2 bis' },
      fields: { bon_id: 'B-1', event_id: 'e-1', lines: 2, net_kg: 3.5, closed_at: '2025-03-04T10:00:00Z', clock_synced: false, comment: 'dit "merci" \\ à bientôt, vraiment' },
      timestamp: '1741082400000654321',
    },
  );
  return points;
}

/** Line-protocol points in one order, to compare two writers' bodies. */
const canonical = (points: LinePoint[]) => points.map((p) => JSON.stringify(p, Object.keys(p).sort())).sort();

interface Recorded {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP server that takes every write and keeps what it was sent: what each writer puts on the wire. */
function recordingServer(): Promise<{ url: string; requests: Recorded[]; server: Server }> {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      requests.push({ url: req.url!, headers: req.headers, body: body.toString('utf8') });
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests, server })));
}

/** The samples VictoriaMetrics must hold for `points`: one series per numeric field, booleans as 1/0, milliseconds. */
function expectedSamples(points: readonly IPoint[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of points) {
    const tags = Object.fromEntries(Object.entries(p.tags ?? {}).filter(([, v]) => v !== ''));
    const ms = Number(BigInt(String(p.timestamp)) / 1_000_000n);
    for (const [field, value] of Object.entries(p.fields ?? {})) {
      if (typeof value === 'string') continue;
      const key = seriesKey({ __name__: `${p.measurement}_${field}`, ...tags });
      out.set(key, [...(out.get(key) ?? []), `${ms}=${Number(value)}`]);
    }
  }
  for (const samples of out.values()) samples.sort();
  return out;
}
const seriesKey = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));

function exportedSamples(series: readonly ExportedSeries[], site: string, stringFields: ReadonlySet<string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of series) {
    if (s.metric.site !== site || stringFields.has(s.metric.__name__!)) continue;
    out.set(seriesKey(s.metric), s.timestamps.map((t, i) => `${t}=${s.values[i]}`).sort());
  }
  return out;
}

/** Series names VictoriaMetrics makes of string fields (it keeps numbers only, so their text is not there to compare). */
const stringSeries = (points: readonly IPoint[]) => new Set(points.flatMap((p) => Object.entries(p.fields ?? {}).filter(([, v]) => typeof v === 'string').map(([f]) => `${p.measurement}_${f}`)));

describe('the InfluxDB 2.x/3.x write path (@influxdata/influxdb-client)', () => {
  let vm: RunningVictoriaMetrics;
  const savedToken = process.env.TREBUCHET_INFLUX_TOKEN;

  beforeAll(async () => {
    process.env.TREBUCHET_INFLUX_TOKEN = TOKEN;
    vm = await startVictoriaMetrics();
  });
  afterAll(async () => {
    if (savedToken === undefined) delete process.env.TREBUCHET_INFLUX_TOKEN;
    else process.env.TREBUCHET_INFLUX_TOKEN = savedToken;
    await vm?.stop();
  });

  it('stores every tag, numeric field and timestamp it sends, read back from a real v2 write API', async () => {
    const points = samplePoints('export');
    expect(points.length).toBeGreaterThan(3000);
    await v2(vm.url).write(points, 'raw');
    const exported = exportedSamples(await vm.exportAll(), 'export', stringSeries(points));
    const expected = expectedSamples(points);
    expect(exported.size).toBe(expected.size);
    expect(Object.fromEntries(exported)).toEqual(Object.fromEntries(expected));
    const samples = [...expected.values()].reduce((n, s) => n + s.length, 0);
    console.info(`v2 write path: ${points.length} points sent, ${expected.size} series and ${samples} samples read back from VictoriaMetrics, all equal`);
  });

  it('sends the same points as the 1.x writer (node-influx), gzipped, with the token, to the configured bucket', async () => {
    const points = samplePoints('wire');
    const rec = await recordingServer();
    try {
      await new Influx1Store(influxConnectionSchema.parse({ url: rec.url, database: 'trebuchet' })).write(points, 'raw');
      await v2(rec.url).write(points, 'raw');
      await v2(rec.url).write(points.slice(-2), 'rollups');
      await new Influx3Store(influxConnectionSchema.parse({ version: 3, url: rec.url, database: 'trebuchet' })).write(points.slice(-2), 'rollups');
      const [v1Req, v2Req, v2Rollups, v3Rollups] = rec.requests;
      expect(v1Req!.url).toMatch(/^\/write\?db=trebuchet&precision=n(&rp=)?$/);
      expect(new URL(v2Req!.url, rec.url).searchParams).toEqual(new URLSearchParams({ org: 'reseau', bucket: 'trebuchet', precision: 'ns' }));
      expect(v2Req!.headers).toMatchObject({ 'content-encoding': 'gzip', authorization: `Token ${TOKEN}` });
      expect(new URL(v2Rollups!.url, rec.url).searchParams.get('bucket')).toBe('trebuchet-rollups');
      expect(new URL(v3Rollups!.url, rec.url).searchParams.get('bucket')).toBe('trebuchet/rollups');

      const fromV1 = parseLineProtocol(v1Req!.body);
      const fromV2 = parseLineProtocol(v2Req!.body);
      expect(fromV2.length).toBe(points.length);
      expect(canonical(fromV2)).toEqual(canonical(fromV1));
      // The rollups' counts are integers in both (as SELECT … INTO made them), kilograms floats.
      const rollup = fromV2.find((p) => p.measurement === ROLLUPS.weighingsByCategory.name)!;
      expect(rollup.fields).toEqual({ net_kg: { type: 'float', value: 1234.567 }, n: { type: 'integer', value: 88 } });
      const escaped = fromV2.find((p) => p.fields.bon_id?.value === 'B-1')!;
      expect(escaped.tags.district).toBe('Saint-Jean, Nord=2 bis');
      expect(escaped.fields.comment).toEqual({ type: 'string', value: 'dit "merci" \\ à bientôt, vraiment' });
    } finally {
      rec.server.close();
    }
  });

  it('says at start that a v2 write server without InfluxQL reads cannot serve the dashboards', async () => {
    const lines: { msg: string; answered?: string }[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    // VictoriaMetrics answers every /query with its list of databases: taken for an answer, the rollups would read nothing.
    expect(await checkInfluxQLFunctions(v2(vm.url), log)).toHaveLength(5);
    expect(lines).toEqual([expect.objectContaining({ answered: 'databases', msg: expect.stringContaining('does not run InfluxQL SELECTs') })]);
  });

  it('while the database is down for a long time: memory bounded, retries with backoff, no receipt before the acknowledgement', async () => {
    const store = v2(vm.url);
    const logs: { msg: string; retryInMs?: number }[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const receipts: number[] = [];
    const writer = new BatchWriter<number>({ maxPoints: 100, maxWaitMs: 20, maxBufferedPoints: 500, log, write: (p) => store.write(p, 'raw'), onWritten: (keys) => receipts.push(...keys) });
    const points = samplePoints('outage').filter((p) => p.measurement === 'weighing').slice(0, 800);

    await vm.pause();
    const accepted = points.map((point, key) => writer.offer({ point, key })).filter(Boolean).length;
    expect(accepted).toBe(500);
    expect(writer.stats.refused).toBe(300);
    await expect.poll(() => writer.stats.writeErrors, { timeout: 30_000 }).toBeGreaterThanOrEqual(5);
    const delays = logs.filter((l) => l.msg === 'InfluxDB write failed; will retry').map((l) => l.retryInMs);
    expect(delays.slice(0, 5)).toEqual([200, 400, 800, 1600, 3200]);
    expect(receipts).toEqual([]);
    expect(writer.buffered).toBe(500);

    await vm.start();
    await expect.poll(() => receipts.length, { timeout: 30_000 }).toBe(500);
    expect(receipts).toEqual([...Array(500).keys()]);
    await writer.stop();
    const stored = (await vm.exportAll()).filter((s) => s.metric.site === 'outage' && s.metric.__name__ === 'weighing_net_kg');
    expect(stored.reduce((n, s) => n + s.values.length, 0)).toBe(500);
  });
});
