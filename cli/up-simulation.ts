import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CounterDesk } from '../edge-agent/kiosk/counter-desk.js';
import type { KioskNotice } from '../edge-agent/kiosk/kiosk-types.js';
import { seededRandom } from '../firmware-sim/common/sim-device.js';
import type { CounterActions } from '../firmware-sim/scenarios/dropoff-scenario.js';
import { active } from '../protocol/taxonomy.js';

export const SIMULATION_OPERATOR = 'simulation';

/** How counter drop-offs came, by number of bons (docs/domain.md: 456 home pick-ups against 15,000 donors). */
const COLLECT_TYPE_SHARES: Record<string, number> = { 'apport-volontaire': 0.9, debarras: 0.06, 'collecte-domicile': 0.04 };

export interface SimulatedCounterOptions {
  seed: number;
  holdMs: number;
  /** How long a box waits on the scale for a person to tap its category before the donor takes it back. */
  humanWaitMs: number;
}

/**
 * The simulated attendant of `trebuchet up` at a kiosk counter. Alone, it runs whole bons through the
 * counter desk (open, tap each category, validate), as a person would on the screen. As soon as someone
 * has the kiosk page open, it steps aside: it only brings the donors' boxes to the scale and waits for
 * the person to tap their category, so the README's first command lets anyone run a bon by hand.
 */
export function simulatedCounter(
  desk: CounterDesk,
  scaleId: string,
  watchers: () => number,
  opts: SimulatedCounterOptions,
): CounterActions {
  const rng = seededRandom(opts.seed);
  const { taxonomy } = desk;
  let ours: string | undefined;
  const attending = () => watchers() === 0;
  const draw = (ids: string[], shares: Record<string, number>): string => {
    const known = ids.filter((id) => shares[id]);
    if (!known.length) return ids[0]!;
    let u = rng() * known.reduce((s, id) => s + shares[id]!, 0);
    for (const id of known) if ((u -= shares[id]!) < 0) return id;
    return known[known.length - 1]!;
  };
  const ignoreRefusal = () => undefined; // a person took the counter meanwhile: the simulation lets them be

  return {
    async beginVisit() {
      ours = undefined;
      if (!attending() || desk.bon) return;
      const districts = active(taxonomy.districts);
      const bon = await desk.openBon(
        {
          direction: 'in',
          collectType: draw(active(taxonomy.collectTypes).map((c) => c.id), COLLECT_TYPE_SHARES),
          ...(districts.length ? { district: districts[Math.floor(rng() * districts.length)]!.id } : {}),
        },
        SIMULATION_OPERATOR,
      );
      ours = bon.bonId;
    },
    async pickCategory(categoryId) {
      if (!attending() || !ours || desk.bon?.bonId !== ours) return;
      const known = active(taxonomy.categories).some((c) => c.id === categoryId);
      await desk.pickCategory(scaleId, known ? categoryId : active(taxonomy.categories).at(-1)!.id, SIMULATION_OPERATOR).catch(ignoreRefusal);
    },
    async hold(abort) {
      if (attending()) return sleep(opts.holdMs, undefined, { signal: abort });
      // A person is at the kiosk: the box stays on until they have tapped a category for it.
      const done = new AbortController();
      const signal = AbortSignal.any([abort, done.signal]);
      const taken = async () => {
        for (;;) {
          const [n] = (await once(desk, 'notice', { signal })) as [KioskNotice];
          if (n.code === 'line-taken' && n.scale === scaleId) return;
        }
      };
      try {
        await Promise.race([taken(), sleep(opts.humanWaitMs, undefined, { signal })]);
      } catch {
        abort.throwIfAborted();
      } finally {
        done.abort();
      }
      await sleep(opts.holdMs / 2, undefined, { signal: abort });
    },
    async endVisit() {
      if (!ours || desk.bon?.bonId !== ours || !attending()) return;
      await desk.closeBon(ours, SIMULATION_OPERATOR).catch(() => desk.abandonBon(ours!, SIMULATION_OPERATOR).catch(ignoreRefusal));
    },
  };
}
