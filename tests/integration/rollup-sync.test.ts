import { DateTime } from 'luxon';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { visitsPoint, weighingPoint } from '../../storage/points.js';
import { ROLLUPS, rollupSpansFor } from '../../storage/rollups.js';
import { checkInfluxQLFunctions } from '../../storage/influxql-functions.js';
import { syncRollups } from '../../storage/rollup-sync.js';
import { selectSeries } from '../../storage/select-series.js';
import type { InfluxStore } from '../../storage/store.js';
import { SecondLook } from '../../ingest/second-look.js';
import { visitsAt, weighingAt } from '../helpers/events.js';
import { startInfluxd, type RunningInfluxd } from '../helpers/influxd.js';
import { testStore } from '../helpers/store.js';

const ZONE = 'Europe/Paris';
const DAY = DateTime.fromISO('2025-03-14T10:00', { zone: ZONE });

/**
 * Two ingest instances recomputing the same day at once, played step by step on a real InfluxDB: A reads
 * its sums, B writes a raw point and brings the rollup up to date, then A's older rollup lands last.
 * The rollup must end current, because A reads again after its write (storage/rollup-sync.ts).
 */
describe('rollups written by two instances at once', () => {
  let influxd: RunningInfluxd;
  let store: InfluxStore;
  let site = 0;

  beforeAll(async () => {
    influxd = await startInfluxd();
    store = testStore(influxd.url);
    await store.prepare();
  });
  afterAll(() => influxd?.stop());

  /** A site of its own per test, and a raw point of `kg` on its day, as ingest writes it. */
  const fresh = () => `site-${++site}`;
  const weigh = (s: string, kg: number, at = DAY) => weighBatch(s, [[kg, at]]);
  /** One batch of raw points, as one ingest instance writes it: the spans its rollup sync covers. */
  const weighBatch = async (s: string, weighings: [kg: number, at: DateTime][]) => {
    const points = weighings.map(([kg, at]) => weighingPoint({ site: s, agent: 'comptoir', device: 'balance' }, weighingAt(at, kg, 'textile')));
    await store.write(points, 'raw');
    return Object.assign(rollupSpansFor(points, () => ZONE), { points });
  };
  /** The day's kilograms as the rollup (and its month) hold them. */
  const rolledUp = async (s: string) => {
    const r = ROLLUPS.weighingsByCategory;
    const [daily, monthly] = await selectSeries(store, [
      `SELECT sum("net_kg") FROM "rollups"."${r.name}" WHERE "site" = '${s}'`,
      `SELECT sum("net_kg") FROM "rollups"."${r.name}_monthly" WHERE "site" = '${s}'`,
    ]);
    return { daily: daily![0]?.values[0]?.[1], monthly: monthly![0]?.values[0]?.[1] };
  };

  /** Another instance's sync of `spans`, held after its first write and before its check: returned once that write is acknowledged. */
  const heldAfterFirstWrite = async (spans: Parameters<typeof syncRollups>[1]) => {
    let wrote = () => {};
    let release = () => {};
    const written = new Promise<void>((resolve) => (wrote = resolve));
    const held = new Promise<void>((resolve) => (release = resolve));
    const done = syncRollups(store, spans, { afterWrite: async (r) => (r === 1 ? (wrote(), held) : undefined) });
    await written;
    return { release, done };
  };

  it('ends current when the older rollup lands last', async () => {
    const s = fresh();
    const spansA = await weigh(s, 12.5);
    const seen: unknown[] = [];
    const a = await syncRollups(store, spansA, {
      async beforeWrite(round) {
        if (round === 1) {
          // A has read 12.5 kg and not written yet: B weighs 7.25 kg and brings the day up to date.
          const spansB = await weigh(s, 7.25, DAY.plus({ minutes: 3 }));
          await syncRollups(store, spansB);
          seen.push((await rolledUp(s)).daily);
        } else {
          // A's stale 12.5 kg landed after B's 19.75 kg: what a single pass would leave behind.
          seen.push((await rolledUp(s)).daily);
        }
      },
    });
    expect(seen).toEqual([19.75, 12.5]);
    expect(a.rounds).toBe(3);
    expect(await rolledUp(s)).toEqual({ daily: 19.75, monthly: 19.75 });
  });

  it('leaves a row another instance wrote after it to that instance, which brings it up to date', async () => {
    const s = fresh();
    const spansA = await weigh(s, 12.5);
    let releaseB = () => {};
    let b: Promise<{ rounds: number }> | undefined;
    const a = await syncRollups(store, spansA, {
      async afterWrite(round) {
        if (round !== 1) return;
        // After A's write: B weighs and writes its rollup, and is held before its check; then C weighs.
        ({ release: releaseB, done: b } = await heldAfterFirstWrite(await weigh(s, 7.25, DAY.plus({ minutes: 3 }))));
        await weigh(s, 0.5, DAY.plus({ minutes: 5 }));
      },
    });
    // A sees B's days, not its own: B wrote them later, so B checks them (chasing them would have cost A a round of
    // writes). A writes the months from the days as stored, and its third read finds them current.
    expect(a).toEqual({ rounds: 3, written: 4 }); // the day, then the month, of two rollups
    expect((await rolledUp(s)).daily).toBe(19.75);
    releaseB();
    // B: its days, corrected for C's half kilo, then the months, then a read that finds them current.
    expect((await b!).rounds).toBe(4);
    expect(await rolledUp(s)).toEqual({ daily: 20.25, monthly: 20.25 });
  });

  /** Each day's kilograms as the daily rollup holds them, by local date. */
  const byDay = async (s: string) => {
    const [daily] = await selectSeries(store, [`SELECT sum("net_kg") FROM "rollups"."${ROLLUPS.weighingsByCategory.name}" WHERE "site" = '${s}' GROUP BY time(1d) fill(none) tz('${ZONE}')`], { epoch: 'ms' });
    return Object.fromEntries((daily![0]?.values ?? []).map(([t, kg]) => [DateTime.fromMillis(Number(t), { zone: ZONE }).toISODate(), kg]));
  };

  it('a writer that dies between its write and its check leaves no stale day it holds no event of', async () => {
    const s = fresh();
    // P has written a raw point of the 12th and not yet its rollup; K's batch holds the 10th and the 14th.
    const spansP = await weigh(s, 4, DAY.minus({ days: 2 }));
    const spansK = await weighBatch(s, [
      [1, DAY.minus({ days: 4 })],
      [2, DAY],
    ]);
    const killed = syncRollups(store, spansK, {
      async beforeWrite(round) {
        if (round !== 1) return;
        // K has read the 12th at 4 kg. P brings it up to date, then S weighs 3 kg more there and does too.
        await syncRollups(store, spansP);
        await syncRollups(store, await weigh(s, 3, DAY.minus({ days: 2, minutes: -5 })));
      },
      afterWrite: async () => {
        throw new Error('SIGKILL');
      },
    });
    await expect(killed).rejects.toThrow('SIGKILL');
    // K's events had no receipt: they come back, each through another instance (here one each), which stores it again and recomputes its day.
    for (const point of spansK.points) {
      await store.write([point], 'raw');
      await syncRollups(store, rollupSpansFor([point], () => ZONE));
    }
    expect(await byDay(s)).toEqual({ '2025-03-10': 1, '2025-03-12': 7, '2025-03-14': 2 });
    expect(await rolledUp(s)).toEqual({ daily: 10, monthly: 10 });
  });

  it('a month stays the sum of its days when a day is corrected after another instance rewrote the month', async () => {
    const s = fresh();
    const spansX = await weigh(s, 1);
    let releaseY = () => {};
    let y: Promise<unknown> | undefined;
    await syncRollups(store, spansX, {
      async beforeWrite(round) {
        if (round !== 1) return;
        // X has read its day at 1 kg. Y weighs 2 kg on the same day, writes its rollup and is held before its check.
        ({ release: releaseY, done: y } = await heldAfterFirstWrite(await weigh(s, 2, DAY.plus({ minutes: 3 }))));
      },
      async afterWrite(round) {
        // X's stale day has landed: Z weighs 4 kg on another day of the month and brings the month up to date from it.
        if (round === 1) await syncRollups(store, await weigh(s, 4, DAY.plus({ days: 3 })));
      },
    });
    releaseY();
    await y;
    expect(await byDay(s)).toEqual({ '2025-03-14': 3, '2025-03-17': 4 });
    expect(await rolledUp(s)).toEqual({ daily: 7, monthly: 7 });
  });

  /**
   * K weighs 1 kg, brings its day up to date and sends its month (1 kg); before that write lands, C weighs
   * 4 kg more on the day and brings day and month to 5, and K's event, resent meanwhile, goes through B
   * (which finds both current). K's month lands and K dies before its check: the month says 1 kg, and the
   * only instances that could see it have checked already. Returns C's spans, as C's settle had them.
   */
  const killedWriterLeavesAStaleMonth = async (s: string, looks?: SecondLook) => {
    const spansK = await weigh(s, 1);
    let spansC: Awaited<ReturnType<typeof weigh>> | undefined;
    const killed = syncRollups(store, spansK, {
      async beforeWrite(round) {
        if (round !== 2) return;
        spansC = await weigh(s, 4, DAY.plus({ minutes: 2 }));
        await syncRollups(store, spansC);
        looks?.after(spansC);
        await store.write(spansK.points, 'raw');
        await syncRollups(store, spansK);
      },
      afterWrite: async (round) => {
        if (round === 2) throw new Error('SIGKILL');
      },
    });
    await expect(killed).rejects.toThrow('SIGKILL');
    expect(await rolledUp(s)).toEqual({ daily: 5, monthly: 1 });
    return spansC!;
  };
  const quiet = pino({ level: 'silent' });

  it('a killed writer’s month that lands after every check is corrected by the second look of the instance that weighed after its read', async () => {
    const s = fresh();
    const looks = new SecondLook({ store, afterMs: 600_000, log: quiet });
    await killedWriterLeavesAStaleMonth(s, looks);
    // C stops: what is due later is looked at now.
    await looks.stop();
    expect(await rolledUp(s)).toEqual({ daily: 5, monthly: 5 });
    // The month by category and the month by origin (two rollups of weighings).
    expect(looks.stats).toEqual({ looks: 1, rewritten: 2, errors: 0 });
  });

  it('looks again on its own after its delay, and keeps the buckets of a look that failed for the next one', async () => {
    const s = fresh();
    const spansC = await killedWriterLeavesAStaleMonth(s);
    let failures = 1;
    const flaky: InfluxStore = {
      describe: store.describe,
      database: store.database,
      write: (points, target) => store.write(points, target),
      queryRaw: (q, o) => (failures-- > 0 ? Promise.reject(new Error('connect ECONNREFUSED')) : store.queryRaw(q, o)),
      prepare: () => store.prepare(),
      checkAccess: () => store.checkAccess(),
    };
    const looks = new SecondLook({ store: flaky, afterMs: 100, log: quiet });
    looks.after(spansC);
    await looks.idle();
    expect(looks.stats).toEqual({ looks: 1, rewritten: 2, errors: 1 });
    expect(await rolledUp(s)).toEqual({ daily: 5, monthly: 5 });
    await looks.stop();
  });

  it('three instances weighing the same day at once end with the day exact', async () => {
    const s = fresh();
    let retries = 0;
    const instance = async (n: number) => {
      for (let i = 0; i < 30; i++) {
        const spans = await weigh(s, 0.25 * n, DAY.plus({ seconds: n * 100 + i }));
        // As ingest does: a sync that gives up is retried with the batch.
        for (;;) {
          try {
            await syncRollups(store, spans);
            break;
          } catch (err) {
            if (!/still changing/.test((err as Error).message)) throw err;
            retries++;
          }
        }
      }
    };
    await Promise.all([1, 2, 3].map(instance));
    expect(await rolledUp(s)).toEqual({ daily: 30 * (0.25 + 0.5 + 0.75), monthly: 30 * (0.25 + 0.5 + 0.75) });
    console.info(`three writers on one day: 90 batches, ${retries} sync(s) retried`);
  });

  it('finds on InfluxDB 1.6 every InfluxQL function the rollups and reports use', async () => {
    const s = fresh();
    await syncRollups(store, await weigh(s, 2, DateTime.now().minus({ minutes: 5 })));
    const lines: unknown[] = [];
    expect(await checkInfluxQLFunctions(store, pino({ level: 'info' }, { write: (l: string) => void lines.push(l) }))).toEqual([]);
    expect(lines).toEqual([]);
  });

  it('keeps door counts by local weekday and hour, on the day clocks go back and after a late count', async () => {
    const s = fresh();
    // Sunday 26 October 2025 in Paris: 02:00–03:00 happens twice (UTC+2, then UTC+1), both the 2 o'clock hour.
    const count = async (iso: string, n: number) => {
      const points = [visitsPoint({ site: s, agent: 'porte', device: 'compteur' }, visitsAt(DateTime.fromISO(iso, { setZone: true }), n, 1))];
      await store.write(points, 'raw');
      await syncRollups(store, rollupSpansFor(points, () => ZONE));
    };
    await count('2025-10-26T02:10:00+02:00', 3);
    await count('2025-10-26T02:10:00+01:00', 4);
    await count('2025-10-27T00:30:00+01:00', 5);
    const cells = async () => {
      const [series] = await selectSeries(store, [`SELECT sum("in") AS "in", sum("out") AS "out" FROM "rollups"."visits_hourly_weekday" WHERE "site" = '${s}' GROUP BY "weekday", "hour"`]);
      return Object.fromEntries(series!.map((x) => [`${x.tags!.weekday} ${x.tags!.hour}`, x.values[0]!.slice(1)]));
    };
    expect(await cells()).toEqual({ '7 02': [7, 2], '1 00': [5, 1] });
    // A count that comes late, from an agent's backlog, adds to its hour's row.
    await count('2025-10-27T00:45:00+01:00', 2);
    expect(await cells()).toEqual({ '7 02': [7, 2], '1 00': [7, 2] });
  });

  it('writes nothing again when the rollup is already current', async () => {
    const s = fresh();
    const spans = await weigh(s, 3);
    expect((await syncRollups(store, spans)).rounds).toBe(3); // the days, the months, a read finding both current
    expect(await syncRollups(store, spans)).toEqual({ rounds: 1, written: 0 });
    expect(await rolledUp(s)).toEqual({ daily: 3, monthly: 3 });
  });

  it('gives up with a reason, for the batch to be retried, while the day keeps changing under it', async () => {
    const s = fresh();
    const spans = await weigh(s, 1);
    let extra = 0;
    const sync = syncRollups(store, spans, {
      async beforeWrite() {
        await weigh(s, 1, DAY.plus({ minutes: ++extra }));
      },
    });
    await expect(sync).rejects.toThrow(/rollups still changing after 8 rounds .* the batch will be retried/);
    // Once the others stop, a retry brings it up to date.
    await syncRollups(store, spans);
    expect(await rolledUp(s)).toEqual({ daily: 1 + extra, monthly: 1 + extra });
  });
});
