import { describe, expect, it } from 'vitest';
import { createStGsDriver, StGsDriver } from '../../edge-agent/drivers/stgs/driver.js';
import { createTransport } from '../../edge-agent/transport/index.js';
import { transportSchema } from '../../edge-agent/transport/config.js';
import { createPtyPair, type PtyPair } from '../../firmware-sim/common/pty-pair.js';
import { SimulatedStgsScale } from '../../firmware-sim/stgs/simulated-stgs-scale.js';
import { TcpSerialServer } from '../../firmware-sim/common/tcp-serial-server.js';
import { cleanupsAfterEach, driverOnPty, isMass, loadAndSettle, unplugAndReplug, watchDriver, type DriverWatch } from '../helpers/scale-driver.js';
import { waitFor } from '../helpers/wait.js';

const cleanups = cleanupsAfterEach();

/** Sends T and waits until the scale shows a net zero: the command went down the line and was obeyed. */
async function tare(driver: StGsDriver, seen: DriverWatch): Promise<void> {
  const from = seen.readings.length;
  driver.command('tare');
  await waitFor('a net zero after tare', () => seen.readings.slice(from).some((r) => isMass(r.reading, 0, true, true)));
}

describe('ST,GS driver over a socat pty pair', () => {
  let pair: PtyPair;

  async function setup() {
    // 7E1 parity bits on a port read as 8N1: the driver masks them.
    const scale = new SimulatedStgsScale({ format: 'ad-indicator', intervalMs: 50, settleMs: [300, 600], parity: 'even' });
    const rig = await driverOnPty(cleanups, scale, (transport) => createStGsDriver({ transport, stgs: { format: 'auto' } }));
    pair = rig.pair;
    scale.start();
    return rig;
  }

  it('receives moving then stable readings, through garbage, and sends commands', async () => {
    const { scale, driver, seen } = await setup();
    await loadAndSettle(scale, seen, 12.34);

    const errorsBefore = seen.errors.length;
    scale.sendRaw(Buffer.from([0x00, 0xff, 0x0d, 0x0a])); // line-break garbage on its own line
    scale.sendRaw('A&D AD-4329A  Ver 2.10\r\n'); // a power-up banner
    scale.sendRaw('ST,GS,+00'); // a frame cut short, glued to the next one
    scale.sendRaw(Buffer.from([0x00, 0xff]));
    const from = seen.readings.length;
    await waitFor('readings after the garbage', () => seen.readings.slice(from).filter((r) => isMass(r.reading, 12.34, true)).length >= 3);
    expect(seen.errors.length - errorsBefore).toBeGreaterThanOrEqual(2);
    expect(seen.errors.slice(errorsBefore).every((e) => /no status header|not a number/.test(e.reason))).toBe(true);

    await tare(driver, seen);
    await loadAndSettle(scale, seen, 5, true);
  });

  it('reports an unplug and reads again after a replug, without a new driver', async () => {
    const { scale, seen } = await setup();
    await loadAndSettle(scale, seen, 8.5);
    await unplugAndReplug(pair, seen, 8.5, 'stgs-pty');
  });
});

describe('transports with the device absent at start', () => {
  it('serial: reports the absence once, then opens when the device appears', async () => {
    const pair = await createPtyPair();
    cleanups.push(() => pair.close());
    await pair.unplug();
    const transport = createTransport(transportSchema.parse({ type: 'serial', path: pair.devicePath }));
    const closes: string[] = [];
    let opened = false;
    transport.on('close', (reason) => closes.push(reason));
    transport.on('open', () => (opened = true));
    transport.start();
    cleanups.push(() => transport.stop());
    await new Promise((r) => setTimeout(r, 1_600)); // three retries
    expect(closes).toHaveLength(1);
    expect(closes[0]).toMatch(/cannot open/);
    await pair.replug();
    await waitFor('the port to open', () => opened, 3_000);
    expect(transport.isOpen).toBe(true);
  });

  it('tcp: reports the absence once, then connects when the server listens', async () => {
    const probe = new SimulatedStgsScale();
    const first = await TcpSerialServer.listen(probe);
    const port = first.port;
    await first.close();
    const transport = createTransport(transportSchema.parse({ type: 'tcp', host: '127.0.0.1', port }));
    const closes: string[] = [];
    transport.on('close', (reason) => closes.push(reason));
    transport.start();
    cleanups.push(() => transport.stop());
    await new Promise((r) => setTimeout(r, 1_000));
    expect(closes).toEqual([expect.stringMatching(/ECONNREFUSED/)]);
    const server = await TcpSerialServer.listen(probe, { port });
    cleanups.push(() => server.close());
    await waitFor('the connection', () => transport.isOpen, 3_000); // backoff is capped at 2 s
  });
});

describe('ST,GS driver over a TCP serial device server', () => {
  it('receives readings through garbage, and reconnects after the connection drops', async () => {
    const scale = new SimulatedStgsScale({ format: 'dini', address: 1, intervalMs: 50, settleMs: [300, 600] });
    cleanups.push(() => scale.stop());
    const server = await TcpSerialServer.listen(scale);
    cleanups.push(() => server.close());
    const transport = createTransport(transportSchema.parse({ type: 'tcp', host: server.host, port: server.port }));
    const driver = new StGsDriver(transport);
    cleanups.push(() => driver.stop());
    const seen = watchDriver(driver);
    driver.start();
    await waitFor('the connection', () => seen.links.some((l) => l.state === 'open'));
    scale.start();
    await loadAndSettle(scale, seen, 23.5);

    scale.sendRaw(Buffer.from('\x00\xFF\xFF garbage\r\nnoise', 'latin1'));
    const from = seen.readings.length;
    await waitFor('readings after the garbage', () => seen.readings.slice(from).filter((r) => isMass(r.reading, 23.5, true)).length >= 3);
    expect(seen.errors.length).toBeGreaterThanOrEqual(1);

    server.dropClients();
    await waitFor('the driver to report the close', () => seen.links.some((l) => l.state === 'closed'));
    const dropAt = seen.links.at(-1)!.at;
    const readingsBefore = seen.readings.length;
    await waitFor('a reading after reconnecting', () => seen.readings.length > readingsBefore, 3_000);
    console.log(`[stgs-pty] tcp close → first reading: ${seen.readings[readingsBefore]!.at - dropAt} ms`);
    expect(seen.links.at(-1)!.state).toBe('open');
    expect(server.clientCount).toBe(1);

    await tare(driver, seen);
    await loadAndSettle(scale, seen, 2, true);
  });
});
