import { z } from 'zod';
import type { InfluxStore } from './store.js';

const resultsSchema = z.object({ results: z.array(z.object({ error: z.string().optional() })) });

/**
 * Runs InfluxQL statements that change things (`CREATE …`) in one POST, and throws the first one's error:
 * InfluxDB answers 200 with the error inside the result.
 */
export async function runInfluxQL(store: Pick<InfluxStore, 'queryRaw'>, statements: readonly string[]): Promise<void> {
  if (statements.length === 0) return;
  const parsed = resultsSchema.safeParse(await store.queryRaw(statements.join(';\n'), { method: 'POST' }));
  if (!parsed.success) throw new Error('unexpected InfluxDB response to a statement');
  const failed = parsed.data.results.find((r) => r.error);
  if (failed) throw new Error(`InfluxDB refused a statement: ${failed.error}`);
}
