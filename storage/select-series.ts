import { z } from 'zod';
import { describeIssues } from '../protocol/index.js';
import type { InfluxStore, QueryOptions } from './store.js';

const seriesSchema = z.object({
  name: z.string(),
  tags: z.record(z.string(), z.string()).optional(),
  columns: z.array(z.string()),
  values: z.array(z.array(z.unknown())),
});
export type InfluxSeries = z.infer<typeof seriesSchema>;
const responseSchema = z.object({
  results: z.array(z.object({ statement_id: z.number().optional(), series: z.array(seriesSchema).optional(), error: z.string().optional() })),
});

/**
 * Runs InfluxQL SELECTs in one request and returns the series of each, in order. A database not created
 * yet (nothing stored so far) is an empty result, not an error: a fresh install shows zeros.
 */
export async function selectSeries(store: Pick<InfluxStore, 'queryRaw'>, statements: readonly string[], options: Pick<QueryOptions, 'epoch'> = {}): Promise<InfluxSeries[][]> {
  if (statements.length === 0) return [];
  const parsed = responseSchema.safeParse(await store.queryRaw(statements.join(';\n'), options));
  if (!parsed.success) throw new Error(`unexpected InfluxDB response: ${describeIssues(parsed.error)}`);
  const out: InfluxSeries[][] = statements.map(() => []);
  for (const [i, result] of parsed.data.results.entries()) {
    if (result.error) {
      if (result.error.startsWith('database not found') || result.error.startsWith('retention policy not found')) continue;
      throw new Error(result.error);
    }
    out[result.statement_id ?? i] = result.series ?? [];
  }
  return out;
}
