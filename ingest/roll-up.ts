import type { IPoint } from 'influx';
import type { Logger } from '../runtime/log.js';
import type { RollupSpan } from '../storage/rollups.js';
import { ShortRollupError, syncRollups } from '../storage/rollup-sync.js';
import type { InfluxStore } from '../storage/store.js';

/**
 * Brings the rollups fed by a written batch up to date (`spans`, from rollupSpansFor), before its
 * receipts. Resolves with the points whose rollup could not be written (a sum out of range): those get no
 * receipt, so their agents resend them and the day is recomputed then. Valid input cannot make a sum overflow (the contract's bounds), so
 * this means a raw point that came around ingest: an operator must remove it, hence the loud error at
 * every resend. Other failures reject, and the batch is retried.
 */
export async function rollUp(store: InfluxStore, spans: readonly RollupSpan[], points: readonly IPoint[], log: Logger): Promise<Set<IPoint>> {
  try {
    await syncRollups(store, spans);
    return new Set();
  } catch (err) {
    if (!(err instanceof ShortRollupError)) throw err;
    const incomplete = new Set(points.filter((p) => err.short.some((s) => s.source === p.measurement && s.site === p.tags?.site)));
    for (const { rollup, site, detail } of err.short) {
      log.error(
        { rollup, site, detail, receiptsWithheld: incomplete.size },
        'rollup ran short: a sum is out of range, so the dashboards miss its day; no receipt for this batch of the site, its agents will resend. Remove the raw point beyond the contract’s bounds, then run `trebuchet rollup`',
      );
    }
    return incomplete;
  }
}
