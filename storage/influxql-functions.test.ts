import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { checkInfluxQLFunctions } from './influxql-functions.js';
import type { InfluxStore } from './store.js';

/** A store whose `/query` answers each statement as `answer` says: the check's logic alone (real servers in tests/integration). */
function storeAnswering(answer: (statement: string) => unknown): InfluxStore {
  return {
    describe: 'InfluxDB 3.x at http://127.0.0.1:8181, database trebuchet',
    database: 'trebuchet',
    write: async () => {},
    queryRaw: async (q) => answer(q),
    prepare: async () => {},
    checkAccess: async () => {},
  };
}

const logged = () => {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) }) };
};

describe('InfluxQL functions the reports use, checked at start', () => {
  it('names the function a backend refuses, what needs it and the fix', async () => {
    const { lines, log } = logged();
    const store = storeAnswering((q) => ({ results: [q.includes('tz(') ? { error: "error parsing query: found TZ, expected ; at line 1" } : {}] }));
    expect(await checkInfluxQLFunctions(store, log)).toEqual(["tz('Europe/Paris')"]);
    expect(lines).toEqual([
      expect.objectContaining({ function: "tz('Europe/Paris')", needed: expect.stringContaining('local midnights'), msg: expect.stringContaining("does not run tz('Europe/Paris')") }),
    ]);
  });

  it('takes "nothing stored yet" for a function that runs', async () => {
    const { lines, log } = logged();
    expect(await checkInfluxQLFunctions(storeAnswering(() => ({ results: [{ error: 'database not found: trebuchet' }] })), log)).toEqual([]);
    expect(lines).toEqual([]);
  });

  it('says once that a server without /query cannot be read, and nothing while InfluxDB is down', async () => {
    const { lines, log } = logged();
    const missing = await checkInfluxQLFunctions(
      storeAnswering(() => Promise.reject(Object.assign(new Error('404 page not found'), { statusCode: 404 }))),
      log,
    );
    expect(missing).toHaveLength(5);
    expect(lines).toEqual([expect.objectContaining({ status: 404, msg: expect.stringContaining('has no InfluxQL /query endpoint') })]);
    const down = logged();
    expect(await checkInfluxQLFunctions(storeAnswering(() => Promise.reject(new Error('connect ECONNREFUSED'))), down.log)).toEqual([]);
    expect(down.lines).toEqual([]);
  });
});
