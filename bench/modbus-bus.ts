import { ModbusScaleDriver } from '../edge-agent/drivers/modbus-scale/driver.js';
import { createModbusBus } from '../edge-agent/modbus/modbus-bus.js';
import { createPtyPair } from '../firmware-sim/common/pty-pair.js';
import { serveModbusRtu, type ModbusUnit } from '../firmware-sim/modbus/servers.js';
import { SimulatedModbusIndicator } from '../firmware-sim/modbus/weighing-indicator.js';
import { quantile } from './stats.js';

export interface BusRateOptions {
  /** Slaves on the line, units 1…n (default 4). */
  slaves?: number;
  /** Units that never answer (they stay on the bus's poll list). */
  dead?: number[];
  /** Nominal poll interval of every slave (default 200 ms, the scale driver's default). */
  pollMs?: number;
  /** Measurement window, counted from the moment every healthy slave has answered once (default 10 s). */
  durationMs?: number;
  timeoutMs?: number;
  /** Answers are delayed by their bytes' time at this rate, as on a real RS-485 line (default 9600). */
  lineBaudRate?: number;
}

export interface BusRates {
  nominalHz: number;
  /** Achieved poll rate of each healthy slave over the window. */
  healthy: Array<{ unitId: number; hz: number; ratio: number; readings: number }>;
  /** Why each unit's polls failed (timeouts of the dead ones), from the bus's start to the window's end. */
  failures: Map<number, string[]>;
  /** From the bus's start to the window's end, in ms. */
  elapsedMs: number;
  medianHz: number;
  medianRatio: number;
  minRatio: number;
}

/**
 * One RS-485 line on a socat pty: `slaves` Dini Argeo DGT4X twins (ServerSerial, answers delayed to 9600-baud
 * wire time), each read by its ModbusScaleDriver every pollMs through one bus; some units dead. Counts each
 * healthy driver's readings over the window.
 */
export async function measureModbusBusRates(options: BusRateOptions = {}): Promise<BusRates> {
  const { slaves = 4, dead = [], pollMs = 200, durationMs = 10_000, timeoutMs = 300, lineBaudRate = 9600 } = options;
  const pair = await createPtyPair();
  const units = new Map<number, ModbusUnit>();
  for (let unitId = 1; unitId <= slaves; unitId++) {
    if (!dead.includes(unitId)) units.set(unitId, new SimulatedModbusIndicator({ preset: 'dini-argeo-dgt4x', decimals: 2 }));
  }
  const server = await serveModbusRtu(pair.simPath, units, { lineBaudRate });
  const bus = createModbusBus({ id: 'bench', transport: { type: 'rtu', path: pair.devicePath, baudRate: lineBaudRate }, timeoutMs });
  const healthy = [...units.keys()];
  const counts = new Map<number, number>();
  const answered = new Set<number>();
  const failures = new Map<number, string[]>();
  let t0 = 0;
  let allAnswered!: () => void;
  const started = new Promise<void>((resolve) => (allAnswered = resolve));
  try {
    for (let unitId = 1; unitId <= slaves; unitId++) {
      const driver = new ModbusScaleDriver(bus.slave(unitId, `scale-${unitId}`), { preset: 'dini-argeo-dgt4x', decimals: 2, pollMs });
      counts.set(unitId, 0);
      driver.on('reading', () => {
        // The window opens once every healthy slave has answered: the line is open and each one polled.
        if (t0 > 0) counts.set(unitId, counts.get(unitId)! + 1);
        else if (answered.add(unitId).size === healthy.length) {
          t0 = performance.now();
          allAnswered();
        }
      });
      driver.on('frameError', (e) => failures.set(unitId, [...(failures.get(unitId) ?? []), e.reason]));
      driver.start();
    }
    const busStartedAt = performance.now();
    bus.start();
    await started;
    await new Promise((r) => setTimeout(r, durationMs));
    const counted = new Map(counts);
    const end = performance.now();
    const seconds = (end - t0) / 1000;
    const nominalHz = 1000 / pollMs;
    const rates = healthy.map((unitId) => {
      const hz = counted.get(unitId)! / seconds;
      return { unitId, hz, ratio: hz / nominalHz, readings: counted.get(unitId)! };
    });
    return {
      nominalHz,
      healthy: rates,
      medianHz: quantile(rates.map((r) => r.hz), 0.5),
      medianRatio: quantile(rates.map((r) => r.ratio), 0.5),
      minRatio: Math.min(...rates.map((r) => r.ratio)),
      failures: new Map(failures),
      elapsedMs: end - busStartedAt,
    };
  } finally {
    await bus.stop();
    await server.close();
    await pair.close();
  }
}

export function formatBusRates(label: string, r: BusRates): string {
  const each = r.healthy.map((h) => `unit ${h.unitId} ${h.hz.toFixed(2)} Hz`).join(', ');
  return `${label}: healthy slaves ${r.medianHz.toFixed(2)} Hz median of ${r.nominalHz.toFixed(2)} Hz nominal = ${(r.medianRatio * 100).toFixed(1)} % (min ${(r.minRatio * 100).toFixed(1)} %) [${each}]`;
}

/**
 * `npm run bench modbus-bus`: 4 slaves on one RTU line at 5 Hz each, with none and with one dead. What a
 * dead slave must not do is starve the others (ThingsBoard and Telegraf users' complaint).
 */
export async function benchModbusBus(): Promise<void> {
  const durationMs = Number(process.env.BENCH_MODBUS_MS ?? 10_000);
  const reference = await measureModbusBusRates({ durationMs });
  console.log(formatBusRates('0 dead', reference));
  const oneDead = await measureModbusBusRates({ durationMs, dead: [4] });
  console.log(formatBusRates('1 dead (unit 4)', oneDead));
  console.log(`1 dead against 0 dead, same command: ${((oneDead.medianHz / reference.medianHz) * 100).toFixed(1)} % of the reference rate`);
}
