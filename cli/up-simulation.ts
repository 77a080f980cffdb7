import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { deviceSchema, type DeviceConfig } from '../edge-agent/config.js';
import type { DoorCounter } from '../edge-agent/counters/door-counter.js';
import type { CounterDesk } from '../edge-agent/kiosk/counter-desk.js';
import type { KioskNotice } from '../edge-agent/kiosk/kiosk-types.js';
import { seededRandom } from '../firmware-sim/common/sim-device.js';
import { TcpSerialServer } from '../firmware-sim/common/tcp-serial-server.js';
import { SimulatedSerialCounter } from '../firmware-sim/counters/simulated-serial-counter.js';
import type { CounterActions, DonorVisit } from '../firmware-sim/scenarios/dropoff-scenario.js';
import { SHOP_DAY } from '../firmware-sim/scenarios/shop-day.js';
import { SimulatedStgsScale } from '../firmware-sim/stgs/simulated-stgs-scale.js';
import { active, type Taxonomy } from '../protocol/taxonomy.js';
import type { UpConfig } from './up-config.js';

export const SIMULATION_OPERATOR = 'simulation';
export const SIMULATED_SCALE_ID = 'balance-comptoir';
export const SIMULATED_DOOR_ID = 'porte-entree';

/** How counter drop-offs came, by number of bons (docs/domain.md: 456 home pick-ups against 15,000 donors). */
const COLLECT_TYPE_SHARES: Record<string, number> = { 'apport-volontaire': 0.9, debarras: 0.06, 'collecte-domicile': 0.04 };

/**
 * Opens the simulated shop once the agent has read its door counter. A counter's first reading is only
 * a baseline (edge-agent/counters/counter-deltas.ts): customers let in before it, those waiting at
 * opening above all, would be counted by the door and never reach the dashboards, so that « dans la
 * boutique » would read a few people short for the whole day (zero, most of the time).
 */
export function openWhenRead(door: SimulatedSerialCounter, counter: DoorCounter): void {
  const read = () => counter.health.lastReadingAt !== null;
  if (read()) return door.setOpen(true);
  const check = () => {
    if (!read()) return;
    counter.off('state', check);
    counter.off('notice', check);
    door.setOpen(true);
  };
  // The first reading is a baseline: it says so in a notice, and moves the state from connecting to ok.
  counter.on('state', check);
  counter.on('notice', check);
}

export interface SimulatedShop {
  devices: DeviceConfig[];
  scale: SimulatedStgsScale;
  door: SimulatedSerialCounter;
  stop(): Promise<void>;
}

/**
 * The devices of `trebuchet up` when none is configured: a counter scale (ST,GS) and a door counter (binary
 * serial frames), each behind a serial device server on loopback, read by the real drivers over TCP as a
 * real shop's would be. The door counts a shop day of SHOP_DAY at `simulation.speed`.
 */
export async function startSimulatedDevices(
  sim: UpConfig['simulation'],
  seed: number,
  scaleOptions: { settleMs?: [number, number]; intervalMs?: number } = {},
): Promise<SimulatedShop> {
  const scale = new SimulatedStgsScale({ format: sim.format, ...scaleOptions });
  const door = new SimulatedSerialCounter({
    seed,
    timeScale: sim.speed,
    // Those waiting at opening are among the day's 185.
    customersPerDay: SHOP_DAY.customersPerDay - SHOP_DAY.customersAtOpening,
    openHours: SHOP_DAY.openHours,
    closedHours: SHOP_DAY.closedHours,
    hourlyShares: SHOP_DAY.footfallByHour,
    waitingAtOpening: SHOP_DAY.customersAtOpening,
  });
  const servers: TcpSerialServer[] = [];
  try {
    servers.push(await TcpSerialServer.listen(scale), await TcpSerialServer.listen(door));
  } catch (err) {
    await Promise.all(servers.map((s) => s.close()));
    throw err;
  }
  const [scaleServer, doorServer] = servers as [TcpSerialServer, TcpSerialServer];
  scale.start();
  door.start();
  const tcp = (server: TcpSerialServer) => ({ type: 'tcp' as const, host: server.host, port: server.port, keepAliveMs: 10_000 });
  return {
    scale,
    door,
    devices: [
      deviceSchema.parse({
        id: SIMULATED_SCALE_ID,
        type: 'scale',
        driver: 'stgs',
        transport: tcp(scaleServer),
        stgs: { format: 'auto', maxLineBytes: 256 },
        weighing: {
          capture: sim.capture,
          maxKg: sim.maxKg,
          minKg: 0.2,
          rearmBelowKg: 0.05,
          direction: 'in',
          defaultCategory: 'autre',
          collectType: 'apport-volontaire',
        },
        live: { maxHz: 5 },
      }),
      deviceSchema.parse({
        id: SIMULATED_DOOR_ID,
        type: 'counter',
        driver: 'serial-counter',
        transport: tcp(doorServer),
        serialCounter: door.layout,
        visits: { bucketSeconds: 60 },
      }),
    ],
    async stop() {
      scale.stop();
      door.stop();
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}

export interface SimulatedCounterOptions {
  seed: number;
  holdMs: number;
  /** How long a box waits on the scale for a person to tap its category before the donor takes it back. */
  humanWaitMs: number;
}

/** The taxonomy's own ids for a sortie drawn on the default ones: a site that renamed them still sees goods leave. */
function sortieFields(taxonomy: Taxonomy, sortie: NonNullable<DonorVisit['sortie']>): { destination: string; partner?: string } | undefined {
  const destinations = active(taxonomy.destinations);
  const destination = destinations.find((d) => d.id === sortie.destination) ?? destinations[0];
  if (!destination) return undefined;
  if (!destination.needsPartner) return { destination: destination.id };
  const partners = active(taxonomy.partners);
  const partner = partners.find((p) => p.id === sortie.partner) ?? partners[0];
  return partner ? { destination: destination.id, partner: partner.id } : undefined;
}

/**
 * The simulated attendant of `trebuchet up` at a kiosk counter. Alone, it runs whole bons through the
 * counter desk (open, tap each category, validate), as a person would on the screen: the donors' bons
 * d'apport and, at a few moments of the day, bons de sortie. As soon as someone has the kiosk page open, it
 * steps aside: it only brings the donors' boxes to the scale and waits for the person to tap their category,
 * so the README's first command lets anyone run a bon by hand (and goods leave only when that person says).
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
    async beginVisit(visit) {
      ours = undefined;
      if (visit.sortie) {
        const fields = attending() && !desk.bon ? sortieFields(taxonomy, visit.sortie) : undefined;
        if (!fields) return false;
        ours = (await desk.openBon({ direction: 'out', ...fields }, SIMULATION_OPERATOR)).bonId;
        return true;
      }
      if (!attending() || desk.bon) return true;
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
      return true;
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
