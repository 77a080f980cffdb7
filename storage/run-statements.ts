import type { InfluxDB } from 'influx';
import { z } from 'zod';
import type { RollupStatement } from './rollups.js';

const resultsSchema = z.object({
  results: z.array(
    z.object({
      error: z.string().optional(),
      series: z.array(z.object({ values: z.array(z.array(z.unknown())) })).optional(),
    }),
  ),
});
type Result = z.infer<typeof resultsSchema>['results'][number];

/** A rollup statement that wrote fewer rows than its selection holds. */
export interface ShortRollup {
  statement: RollupStatement;
  written: number;
  expected: number;
}

/**
 * Rollups that ran short: InfluxDB dropped rows it could not store (a sum out of range) without an error.
 * The other statements of the request ran in full; `short` says which did not.
 */
export class ShortRollupError extends Error {
  constructor(readonly short: readonly ShortRollup[]) {
    super(
      `InfluxDB wrote only part of ${short.length} rollup(s): ` +
        short.map((s) => `${s.statement.rollup} of ${s.statement.site}, ${s.written} of ${s.expected} rows`).join('; ') +
        ' (a sum out of range: look for a raw point beyond the contract’s bounds)',
    );
    this.name = 'ShortRollupError';
  }
}

const rows = (r: Result) => (r.series ?? []).reduce((n, s) => n + s.values.length, 0);
/** A `SELECT … INTO` answers one row: [time, written]. */
const written = (r: Result) => Number(r.series?.[0]?.values[0]?.[1] ?? 0);

/**
 * Runs InfluxQL statements that change things (`SELECT … INTO`, `CREATE …`) in one POST, and throws the
 * first statement's error: InfluxDB answers 200 with the error inside the result. A rollup statement is
 * preceded by its count of expected rows, and throws a ShortRollupError when it wrote fewer.
 */
export async function runStatements(influx: InfluxDB, statements: readonly (string | RollupStatement)[]): Promise<void> {
  if (statements.length === 0) return;
  const queries = statements.flatMap((s) => (typeof s === 'string' ? [s] : [s.expected, s.into]));
  const parsed = resultsSchema.safeParse(await influx.queryRaw(queries.join(';\n'), { method: 'POST' }));
  if (!parsed.success) throw new Error('unexpected InfluxDB response to a rollup statement');
  const { results } = parsed.data;
  const failed = results.find((r) => r.error);
  if (failed) throw new Error(`InfluxDB refused a statement: ${failed.error}`);
  if (results.length !== queries.length) throw new Error(`InfluxDB answered ${results.length} of ${queries.length} statements`);
  const short: ShortRollup[] = [];
  let i = 0;
  for (const statement of statements) {
    if (typeof statement === 'string') {
      i++;
      continue;
    }
    const check = { statement, expected: rows(results[i]!), written: written(results[i + 1]!) };
    if (check.written < check.expected) short.push(check);
    i += 2;
  }
  if (short.length) throw new ShortRollupError(short);
}
