import { EventEmitter, once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { roundTo } from '../../protocol/units.js';
import type { SimulatedScaleBase } from '../common/simulated-scale-base.js';
import { seededRandom } from '../common/sim-device.js';

/** Share of the incoming kilograms by category (docs/domain.md, a busy Paris ressourcerie). */
export const CATEGORY_SHARES: Readonly<Record<string, number>> = {
  textile: 0.3,
  mobilier: 0.19,
  livres: 0.17,
  deee: 0.16,
  quincaillerie: 0.12,
  jouets: 0.03,
  'supports-media': 0.01,
  autre: 0.02,
};

export interface DropoffScenarioOptions {
  seed?: number;
  /** Counter drop-offs per open hour (default 67 a day over 8 hours). */
  donorsPerHour?: number;
  /** Open hours a day (default 8). Scenario time runs through open hours only. */
  openHours?: number;
  /** Open days to play (default 1; Infinity for an endless demo). */
  days?: number;
  /** Mean kilograms a donor brings (default 15). */
  meanKgPerDonor?: number;
  categoryShares?: Readonly<Record<string, number>>;
  /** Donors already at the door when the shop opens, each day: they come in over its first minutes. */
  waitingAtOpening?: number;
}

export interface ScenarioWeighing {
  categoryId: string;
  kg: number;
}

/**
 * One bon at the counter: a donor's drop-off, one weighing per category brought (a bon d'apport), or, with
 * `sortie`, goods leaving for one destination (a bon de sortie).
 */
export interface DonorVisit {
  donor: number;
  day: number;
  /** Arrival in scenario time, ms since the scenario's first opening. */
  arrivalMs: number;
  weighings: ScenarioWeighing[];
  sortie?: { destination: string; partner?: string };
}

const HOUR_MS = 3_600_000;
/** The donors waiting at opening come in over this long. */
const OPENING_QUEUE_MS = 3 * 60_000;
/** Donor loads are skewed: many bags of a few kilos, the odd wardrobe. */
const DONOR_KG_SIGMA = 0.7;
const MIN_WEIGHING_KG = 0.3;
const MAX_DONOR_KG = 150;

/**
 * Counter drop-offs of realistic days, calibrated on docs/domain.md: Poisson arrivals (≈ 67 a day),
 * ≈ 15 kg a donor (log-normal) in 1–4 boxes, each box's category drawn by its share of the kilograms.
 * Boxes of the same category are weighed together, as at the counter. Same seed, same days.
 */
export function* dropoffScenario(options: DropoffScenarioOptions = {}): Generator<DonorVisit> {
  const rng = seededRandom(options.seed ?? 1);
  const perHour = options.donorsPerHour ?? 67 / 8;
  const dayMs = (options.openHours ?? 8) * HOUR_MS;
  const days = options.days ?? 1;
  const meanKg = options.meanKgPerDonor ?? 15;
  const shares = Object.entries(options.categoryShares ?? CATEGORY_SHARES);
  const totalShare = shares.reduce((sum, [, s]) => sum + s, 0);
  const mu = Math.log(meanKg) - (DONOR_KG_SIGMA * DONOR_KG_SIGMA) / 2;

  const drawCategory = (): string => {
    let u = rng() * totalShare;
    for (const [id, share] of shares) if ((u -= share) < 0) return id;
    return shares[shares.length - 1]![0];
  };
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const gapMs = (): number => (-Math.log(1 - rng()) / perHour) * HOUR_MS;

  let donor = 0;
  for (let day = 0; day < days; day++) {
    const waiting = Array.from({ length: options.waitingAtOpening ?? 0 }, () => rng() * OPENING_QUEUE_MS).sort((a, b) => a - b);
    // The queue and the day's Poisson arrivals, in the order they reach the counter.
    const arrivals = function* () {
      for (let t = gapMs(); t < dayMs; t += gapMs()) {
        while (waiting.length && waiting[0]! <= t) yield waiting.shift()!;
        yield t;
      }
      yield* waiting;
    };
    for (const t of arrivals()) {
      const donorKg = Math.min(MAX_DONOR_KG, Math.exp(mu + DONOR_KG_SIGMA * normal()));
      const boxes = 1 + Math.floor(rng() * 4);
      const parts = Array.from({ length: boxes }, () => 0.2 + rng());
      const partSum = parts.reduce((a, b) => a + b, 0);
      const byCategory = new Map<string, number>();
      for (const part of parts) {
        const id = drawCategory();
        byCategory.set(id, (byCategory.get(id) ?? 0) + (donorKg * part) / partSum);
      }
      yield {
        donor: ++donor,
        day,
        arrivalMs: Math.round(day * dayMs + t),
        weighings: [...byCategory].map(([categoryId, kg]) => ({ categoryId, kg: Math.max(MIN_WEIGHING_KG, roundTo(kg, 2)) })),
      };
    }
  }
}

export interface AttendantOptions {
  /** Visits to play (default: endless days of dropoffScenario with seed 1). */
  scenario?: Iterable<DonorVisit>;
  /**
   * Scenario time runs this many times faster than real time between visits (default 1: the scenario's own
   * pace). Handling a box always takes real time.
   */
  speed?: number;
  /** How long a box stays on the platter after the first stable frame (default 2 s). */
  holdMs?: number;
  /** Pause between unloading a box and the next step (default 1.5 s). */
  pauseMs?: number;
  /** Give up waiting for a stable frame after this long (the scale is not running, say). Default 10 s. */
  stableTimeoutMs?: number;
}

/** What the attendant does at the counter around the boxes. Only `pickCategory` is required. */
export interface CounterActions {
  /** Before a visit's first box (open its bon on the kiosk); `false` leaves the visit out. */
  beginVisit?(visit: DonorVisit): Promise<boolean | void>;
  /** Before a box goes on the scale: tap its category. */
  pickCategory(categoryId: string): Promise<void>;
  /** Once the box is stable: how long it stays on (default: `holdMs`); `signal` ends it when the attendant stops. */
  hold?(signal: AbortSignal): Promise<void>;
  /** After the donor's last box (validate the bon). */
  endVisit?(visit: DonorVisit): Promise<void>;
}

export interface AttendantEvents {
  /** A box was loaded, held stable and taken off. */
  weighed: [visit: DonorVisit, weighing: ScenarioWeighing];
}

/**
 * Plays a scenario on a simulated scale like a counter attendant: for each visit (a donor, or goods going
 * out), open the bon; for each weighing, tap the category, put the box on, leave it until stable for a while,
 * take it off, pause, next; then validate the bon.
 */
export class Attendant extends EventEmitter<AttendantEvents> {
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private readonly opts: Required<Omit<AttendantOptions, 'scenario'>>;
  private readonly scenario: Iterable<DonorVisit>;

  constructor(
    private readonly scale: SimulatedScaleBase,
    private readonly counter: CounterActions,
    options: AttendantOptions = {},
  ) {
    super();
    this.scenario = options.scenario ?? dropoffScenario({ days: Infinity });
    this.opts = { speed: 1, holdMs: 2_000, pauseMs: 1_500, stableTimeoutMs: 10_000, ...options };
  }

  /** Plays until the scenario ends or stop(); resolves then. */
  run(): Promise<void> {
    this.running ??= this.play().catch((err: unknown) => {
      if (!this.abort.signal.aborted) throw err;
    });
    return this.running;
  }

  /** Ends the run at once and empties the platter. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
    this.scale.unload();
  }

  private async play(): Promise<void> {
    const { signal } = this.abort;
    const { speed, holdMs, pauseMs, stableTimeoutMs } = this.opts;
    const startedAt = Date.now();
    for (const visit of this.scenario) {
      const wait = visit.arrivalMs / speed - (Date.now() - startedAt);
      if (wait > 0) await sleep(wait, undefined, { signal });
      signal.throwIfAborted();
      if ((await this.counter.beginVisit?.(visit)) === false) continue;
      for (const weighing of visit.weighings) {
        signal.throwIfAborted();
        await this.counter.pickCategory(weighing.categoryId);
        const stable = once(this.scale, 'firstStableFrame', {
          signal: AbortSignal.any([signal, AbortSignal.timeout(stableTimeoutMs)]),
        }).catch(() => signal.throwIfAborted());
        this.scale.load(weighing.kg);
        await stable;
        await (this.counter.hold ? this.counter.hold(signal) : sleep(holdMs, undefined, { signal }));
        signal.throwIfAborted();
        this.scale.unload();
        this.emit('weighed', visit, weighing);
        await sleep(pauseMs, undefined, { signal });
      }
      signal.throwIfAborted();
      await this.counter.endVisit?.(visit);
    }
  }
}
