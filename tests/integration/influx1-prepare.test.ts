import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInfluxQL } from '../../storage/run-influxql.js';
import { startInfluxd, type RunningInfluxd } from '../helpers/influxd.js';
import { testStore } from '../helpers/store.js';

/** The rollups' retention policy as InfluxDB 1.6 reports it: its duration and its shard groups' duration. */
async function rollupPolicy(url: string, database: string) {
  // Its one series has no name, which selectSeries requires: the answer is read as it comes.
  const answer = (await testStore(url, database).queryRaw(`SHOW RETENTION POLICIES ON "${database}"`)) as { results: { series: { columns: string[]; values: unknown[][] }[] }[] };
  const s = answer.results[0]!.series[0]!;
  const row = s.values.find((v) => v[s.columns.indexOf('name')] === 'rollups');
  return row && { duration: row[s.columns.indexOf('duration')], shardGroupDuration: row[s.columns.indexOf('shardGroupDuration')] };
}

describe('InfluxDB 1.x prepare: the rollups’ retention policy', () => {
  let influxd: RunningInfluxd;
  beforeAll(async () => {
    influxd = await startInfluxd();
  });
  afterAll(() => influxd?.stop());

  it('creates it kept forever, with ten-year shard groups, and a second prepare changes nothing', async () => {
    const store = testStore(influxd.url, 'fresh');
    await store.prepare();
    await store.prepare();
    expect(await rollupPolicy(influxd.url, 'fresh')).toEqual({ duration: '0s', shardGroupDuration: '87360h0m0s' });
  });

  it('gives the weekly shards an earlier version created long ones from now on, keeping a duration the operator set', async () => {
    const store = testStore(influxd.url, 'older');
    await runInfluxQL(store, ['CREATE DATABASE "older"', 'CREATE RETENTION POLICY "rollups" ON "older" DURATION 5200w REPLICATION 1']);
    expect(await rollupPolicy(influxd.url, 'older')).toEqual({ duration: '873600h0m0s', shardGroupDuration: '168h0m0s' });
    await store.prepare();
    expect(await rollupPolicy(influxd.url, 'older')).toEqual({ duration: '873600h0m0s', shardGroupDuration: '87360h0m0s' });
  });
});
