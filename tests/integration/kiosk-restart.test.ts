import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from '../../edge-agent/agent.js';
import { agentConfigSchema } from '../../edge-agent/config.js';
import type { KioskBon, KioskLine, KioskState } from '../../edge-agent/kiosk/kiosk-types.js';
import { TcpSerialServer } from '../../firmware-sim/common/tcp-serial-server.js';
import { SimulatedStgsScale } from '../../firmware-sim/stgs/simulated-stgs-scale.js';
import { jsonApi } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';

/** The counter after a power cut: the open bon, its lines and their cancellation survive the agent's restart. */
describe('an open bon across an agent restart (no broker reachable)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-kiosk-restart-'));
  const scale = new SimulatedStgsScale({ intervalMs: 50 });
  let server: TcpSerialServer;
  let agent: RunningAgent | undefined;
  let firstBonId = '';

  const start = async () => {
    const config = agentConfigSchema.parse({
      site: 'lilas',
      agent: 'comptoir',
      dataDir: join(dir, 'agent'),
      // Nobody listens there: everything stays in the outbox, as when the shop's link is down.
      mqtt: { url: `mqtt://127.0.0.1:${await freePort()}`, username: 'agent.lilas.comptoir', password: 'x' },
      http: { port: 0 },
      devices: [{ id: 'balance-1', type: 'scale', driver: 'stgs', transport: { type: 'tcp', host: '127.0.0.1', port: server.port }, weighing: { capture: 'bon' } }],
    });
    return startAgent(config, pino({ level: 'silent' }));
  };
  const api = jsonApi(() => agent!.httpUrl);
  const call = async <T>(method: string, path: string, body?: unknown) => (await api<T>(method, path, body)).body;

  afterAll(async () => {
    await agent?.stop();
    await server?.close();
    scale.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the bon open again with its lines, and can still cancel one and close it', async () => {
    server = await TcpSerialServer.listen(scale);
    scale.start();
    agent = await start();
    const bon = await call<KioskBon>('POST', '/api/v1/kiosk/bons', { direction: 'in', collectType: 'apport-volontaire', comment: 'avant coupure' });
    firstBonId = bon.bonId;
    const a = await call<KioskLine>('POST', `/api/v1/kiosk/bons/${bon.bonId}/lines`, { scale: 'balance-1', category: 'textile', typed: '4,2', by: 'Awa' });
    const b = await call<KioskLine>('POST', `/api/v1/kiosk/bons/${bon.bonId}/lines`, { scale: 'balance-1', category: 'livres', typed: '3', by: 'Awa' });
    expect(agent.pending.depth).toBe(2);
    await agent.stop();

    agent = await start();
    const state = await call<KioskState>('GET', '/api/v1/kiosk/state');
    expect(state.bon).toMatchObject({ bonId: bon.bonId, number: 1, comment: 'avant coupure', state: 'open' });
    expect(state.bon!.lines.map((l) => l.id)).toEqual([a.id, b.id]);
    expect(state.outbox.depth).toBe(2);
    expect(state.link).toBe('disconnected');

    const voided = await call<KioskLine>('POST', `/api/v1/kiosk/bons/${bon.bonId}/lines/${a.id}/void`, { by: 'Karim' });
    expect(voided.voided?.by).toBe('Karim');
    const closed = await call<KioskBon>('POST', `/api/v1/kiosk/bons/${bon.bonId}/close`, {});
    expect(closed.state).toBe('closed');
    // Two lines, the void entry and the bon: all waiting in the outbox for the link to come back.
    expect(agent.pending.depth).toBe(4);
    // The next bon of the day follows on.
    const next = await call<KioskBon>('POST', '/api/v1/kiosk/bons', { direction: 'out', destination: 'reemploi' });
    expect(next.number).toBe(2);
  }, 30_000);

  it('sets an unreadable bons file aside and starts with no open bon, losing nothing in the outbox', async () => {
    await agent!.stop();
    writeFileSync(join(dir, 'agent', 'kiosk', 'bons.json'), '{"v":1,"open":');
    agent = await start();
    const state = await call<KioskState>('GET', '/api/v1/kiosk/state');
    expect(state.bon).toBeNull();
    expect(state.outbox.depth).toBe(4);
  }, 30_000);

  it('puts back lines a power cut kept out of the bons file, from the outbox', async () => {
    const bon = await call<KioskBon>('POST', '/api/v1/kiosk/bons', { direction: 'in', collectType: 'debarras' });
    // The day's count restarted with the bons file set aside; the id is still new (its lines must not mix).
    expect(bon.number).toBe(1);
    expect(bon.bonId).not.toBe(firstBonId);
    const kept = await call<KioskLine>('POST', `/api/v1/kiosk/bons/${bon.bonId}/lines`, { scale: 'balance-1', category: 'mobilier', typed: '25' });
    const wrong = await call<KioskLine>('POST', `/api/v1/kiosk/bons/${bon.bonId}/lines`, { scale: 'balance-1', category: 'jouets', typed: '2' });
    await call<KioskLine>('POST', `/api/v1/kiosk/bons/${bon.bonId}/lines/${wrong.id}/void`, { by: 'Karim' });
    await agent!.stop();
    // The cut came after the outbox's fsync and before the bons file was rewritten: the file has no line.
    const file = join(dir, 'agent', 'kiosk', 'bons.json');
    const book = JSON.parse(readFileSync(file, 'utf8')) as { open: KioskBon };
    book.open.lines = [];
    writeFileSync(file, JSON.stringify(book));
    agent = await start();
    const state = await call<KioskState>('GET', '/api/v1/kiosk/state');
    expect(state.bon!.lines.map((l) => [l.id, l.weighing.netKg, l.voided?.by])).toEqual([
      [kept.id, 25, undefined],
      [wrong.id, 2, 'Karim'],
    ]);
    expect((await call<KioskBon>('POST', `/api/v1/kiosk/bons/${bon.bonId}/close`, {})).state).toBe('closed');
  }, 30_000);
});
