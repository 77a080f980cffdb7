import { once } from 'node:events';
import { StGsDriver } from '../edge-agent/drivers/stgs/driver.js';
import { SerialTransport } from '../edge-agent/transport/serial-transport.js';
import { createPtyPair } from '../firmware-sim/common/pty-pair.js';
import { SimulatedStgsScale } from '../firmware-sim/stgs/simulated-stgs-scale.js';
import { fmt, summary } from './stats.js';

const ROUNDS = Number(process.env.BENCH_REPLUGS ?? 10);

/**
 * A USB scale pulled out and plugged back, ROUNDS times (socat pty pair): time from the device's return
 * to the driver's first reading, without restarting anything. Reference: a fresh driver's first reading
 * after opening the same port, measured in the same run.
 */
export async function benchReplug(): Promise<void> {
  const pty = await createPtyPair();
  const scale = new SimulatedStgsScale({ intervalMs: 100 });
  await pty.attach(scale);
  scale.start();
  const recovery: number[] = [];
  const fresh: number[] = [];
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      const probe = new StGsDriver(new SerialTransport({ type: 'serial', path: pty.devicePath, baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 }));
      probe.start();
      await once(probe, 'reading');
      fresh.push(performance.now() - t0);
      await probe.stop();
    }
    const driver = new StGsDriver(new SerialTransport({ type: 'serial', path: pty.devicePath, baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 }));
    driver.start();
    await once(driver, 'reading');
    for (let i = 0; i < ROUNDS; i++) {
      const closed = once(driver, 'link');
      await pty.unplug();
      await closed;
      await new Promise((r) => setTimeout(r, 1000));
      await pty.replug();
      const back = performance.now();
      await once(driver, 'reading');
      recovery.push(performance.now() - back);
    }
    await driver.stop();
  } finally {
    scale.stop();
    await pty.close();
  }
  const r = summary(recovery);
  const f = summary(fresh);
  console.log(`\nUSB replug → first reading again (${r.n} replugs, same driver, no restart)`);
  console.log(`  recovery    median ${fmt(r.median)}   p95 ${fmt(r.p95)}   max ${fmt(r.max)}`);
  console.log(`  reference   median ${fmt(f.median)}   (fresh driver opening the same port)`);
  console.log(`  ratio recovery / reference (medians): ${(r.median / f.median).toFixed(1)}`);
}
