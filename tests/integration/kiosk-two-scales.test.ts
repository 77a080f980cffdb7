import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from '../../edge-agent/agent.js';
import { agentConfigSchema } from '../../edge-agent/config.js';
import type { KioskBon, KioskState } from '../../edge-agent/kiosk/kiosk-types.js';
import { TcpSerialServer } from '../../firmware-sim/common/tcp-serial-server.js';
import { SimulatedStgsScale } from '../../firmware-sim/stgs/simulated-stgs-scale.js';
import { jsonApi } from '../helpers/http.js';
import { readyAtZero } from '../helpers/kiosk.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

/** A bench scale and a floor scale for furniture at one counter: both feed the open bon, each with its own tap. */
describe('two scales at one counter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-kiosk-two-'));
  const bench = new SimulatedStgsScale({ intervalMs: 50, settleMs: [100, 200] });
  const floor = new SimulatedStgsScale({ intervalMs: 50, settleMs: [100, 200] });
  const servers: TcpSerialServer[] = [];
  let agent: RunningAgent;

  const call = jsonApi(() => agent.httpUrl);
  const state = async () => (await call<KioskState>('GET', '/api/v1/kiosk/state')).body;
  const step = async (id: string) => (await state()).scales.find((s) => s.id === id)!.step;

  beforeAll(async () => {
    for (const s of [bench, floor]) {
      servers.push(await TcpSerialServer.listen(s));
      s.start();
    }
    const scale = (id: string, port: number, maxKg: number) => ({ id, type: 'scale', driver: 'stgs', transport: { type: 'tcp', host: '127.0.0.1', port }, weighing: { maxKg } });
    agent = await startAgent(
      agentConfigSchema.parse({
        site: 'lilas',
        agent: 'comptoir',
        dataDir: join(dir, 'agent'),
        mqtt: { url: `mqtt://127.0.0.1:${await freePort()}`, username: 'agent.lilas.comptoir', password: 'x' },
        http: { port: 0 },
        devices: [scale('balance-etabli', servers[0]!.port, 30), scale('balance-sol', servers[1]!.port, 300)],
      }),
      pino({ level: 'silent' }),
    );
    await waitFor('both scales at zero', async () => (await state()).scales.every(readyAtZero));
  }, 30_000);

  afterAll(async () => {
    await agent?.stop();
    for (const s of servers) await s.close();
    bench.stop();
    floor.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes a line from each scale into the same bon, each with the category tapped for it', async () => {
    const { body: bon } = await call<KioskBon>('POST', '/api/v1/kiosk/bons', { direction: 'in', collectType: 'debarras' });
    // Categories armed on both scales at once; the loads arrive together.
    expect((await call('POST', '/api/v1/kiosk/scales/balance-etabli/category', { category: 'livres' })).status).toBe(200);
    expect((await call('POST', '/api/v1/kiosk/scales/balance-sol/category', { category: 'mobilier' })).status).toBe(200);
    bench.load(6.4);
    floor.load(42.5);
    const lines = await waitFor('both lines', async () => {
      const b = (await state()).bon!;
      return b.lines.length === 2 && b.lines;
    });
    expect(lines.map((l) => [l.scale, l.weighing.category, l.weighing.netKg, l.weighing.bonId]).sort()).toEqual([
      ['balance-etabli', 'livres', 6.4, bon.bonId],
      ['balance-sol', 'mobilier', 42.5, bon.bonId],
    ]);
    // A wardrobe too heavy for the bench scale's 30 kg is refused there, while the floor scale takes it.
    expect(await step('balance-etabli')).toBe('taken');
    bench.unload();
    floor.unload();
    await waitFor('both back at zero', async () => (await state()).scales.every((s) => s.step === 'idle'));
    await call('POST', '/api/v1/kiosk/scales/balance-etabli/category', { category: 'mobilier' });
    const refused = new Promise((resolve) => agent.desk.on('notice', (n) => n.code === 'over-max' && n.scale === 'balance-etabli' && resolve(n)));
    bench.load(35);
    expect(await refused).toMatchObject({ params: { kg: 35, maxKg: 30 } });
    expect((await state()).bon!.lines).toHaveLength(2);
    bench.unload();
    await call('POST', '/api/v1/kiosk/scales/balance-sol/category', { category: 'mobilier' });
    floor.load(35);
    await waitFor('the floor scale taking it', async () => (await state()).bon!.lines.length === 3);
    const closed = await call<KioskBon>('POST', `/api/v1/kiosk/bons/${bon.bonId}/close`, {});
    expect(closed.body.lines.map((l) => l.scale)).toEqual(expect.arrayContaining(['balance-etabli', 'balance-sol']));
    expect(agent.pending.depth).toBe(4);
  }, 30_000);
});
