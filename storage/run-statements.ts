import type { InfluxDB } from 'influx';
import { z } from 'zod';

const resultsSchema = z.object({ results: z.array(z.object({ error: z.string().optional() })) });

/**
 * Runs InfluxQL statements that change things (`SELECT … INTO`, `CREATE …`) in one POST, and throws the
 * first statement's error: InfluxDB answers 200 with the error inside the result.
 */
export async function runStatements(influx: InfluxDB, statements: string[]): Promise<void> {
  if (statements.length === 0) return;
  const parsed = resultsSchema.safeParse(await influx.queryRaw(statements.join(';\n'), { method: 'POST' }));
  if (!parsed.success) throw new Error('unexpected InfluxDB response to a rollup statement');
  const failed = parsed.data.results.find((r) => r.error);
  if (failed) throw new Error(`InfluxDB refused a statement: ${failed.error}`);
}
