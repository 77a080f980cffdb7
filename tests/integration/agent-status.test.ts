import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { brokerConfigSchema } from '../../broker/config.js';
import { SimulatedStgsScale } from '../../firmware-sim/stgs/simulated-stgs-scale.js';
import { TcpSerialServer } from '../../firmware-sim/common/tcp-serial-server.js';
import { agentTopic, agentUsername, decode, type Health, type Status, type Weighing } from '../../protocol/index.js';
import { readCredentials } from '../../runtime/credentials-file.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const CLI = join(import.meta.dirname, '../../dist/cli/trebuchet.js');

describe('the agent process', () => {
  let dir: string;
  let broker: RunningBroker;
  let server: TcpSerialServer;
  const scale = new SimulatedStgsScale({ intervalMs: 50 });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tb-agent-'));
    broker = await startBroker(brokerConfigSchema.parse({ listen: { port: 0 }, dataDir: dir, agents: [{ site: 'lilas', agent: 'comptoir' }] }), pino({ level: 'silent' }));
    server = await TcpSerialServer.listen(scale);
    scale.start();
  });
  afterAll(async () => {
    scale.stop();
    await server?.close();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes a retained online status with its devices, and its last will shows it offline when killed', async () => {
    const httpPort = await freePort();
    const config = join(dir, 'agent.yaml');
    writeFileSync(
      config,
      [
        'site: lilas',
        'agent: comptoir',
        `mqtt: { url: "${broker.url}", username: ${agentUsername('lilas', 'comptoir')}, credentialsFile: ${broker.credentialsFile} }`,
        `http: { port: ${httpPort} }`,
        `dataDir: ${join(dir, 'agent')}`,
        'healthIntervalS: 1',
        'devices:',
        '  - id: balance-1',
        '    type: scale',
        '    driver: stgs',
        `    transport: { type: tcp, host: 127.0.0.1, port: ${server.port} }`,
        '    weighing: { capture: continuous }',
      ].join('\n'),
    );
    const agent = spawn(process.execPath, [CLI, 'agent', '--config', config], { stdio: 'ignore' });
    const creds = readCredentials(broker.credentialsFile)!.mqtt['dashboards']!;
    const watcher = await mqtt.connectAsync(broker.url, { ...creds, clientId: 'dashboards:watcher' });
    const statuses: Status[] = [];
    const healths: Health[] = [];
    const weighings: Weighing[] = [];
    watcher.on('message', (topic, payload) => {
      if (topic.endsWith('/weighing')) {
        const w = decode('weighing', payload);
        if (w.ok) weighings.push(w.value);
        return;
      }
      if (topic.endsWith('/health')) {
        const h = decode('health', payload);
        if (h.ok) healths.push(h.value);
        return;
      }
      const s = decode('status', payload);
      if (s.ok) statuses.push(s.value);
    });
    await watcher.subscribeAsync([agentTopic('lilas', 'comptoir', 'status'), agentTopic('lilas', 'comptoir', 'health'), 'tb/v1/lilas/comptoir/+/weighing'], { qos: 1 });

    try {
      const online = await waitFor('an online status with the scale ok', () =>
        statuses.find((s) => s.state === 'online' && s.devices?.['balance-1']?.state === 'ok'),
      );
      expect(online.version).toMatch(/^\d+\.\d+\.\d+$/);
      // The first health sent after that status: one sent before it may predate the scale's first answer
      // (a loaded machine once had the agent's first health out before its device was up).
      const healthsBefore = healths.length;
      const health = await waitFor('a health message after the online status', () => healths[healthsBefore]);
      expect(health).toMatchObject({ outbox: { depth: 0, oldestAgeS: null }, devices: { 'balance-1': { state: 'ok', errors: 0 } }, clock: { synced: true } });
      expect(health.diskFreeBytes).toBeGreaterThan(0);

      // The local HTTP endpoint: category selection, refused with reasons when wrong.
      const put = (device: string, body: unknown) =>
        fetch(`http://127.0.0.1:${httpPort}/api/v1/devices/${device}/category`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await put('balance-1', { category: 'jouets' })).status).toBe(200);
      const unknownCategory = await put('balance-1', { category: 'velos' });
      expect(unknownCategory.status).toBe(400);
      expect(((await unknownCategory.json()) as { error: string }).error).toMatch(/velos.*textile/);
      expect((await put('balance-1', { category: 'Pas Un Slug' })).status).toBe(400);
      expect((await put('balance-9', { category: 'jouets' })).status).toBe(404);
      const devices = (await (await fetch(`http://127.0.0.1:${httpPort}/api/v1/devices`)).json()) as { id: string; category: string }[];
      expect(devices).toMatchObject([{ id: 'balance-1', category: 'jouets' }]);

      // A weight typed when the scale cannot give it: answered once accepted, published marked manual.
      const post = (body: unknown) =>
        fetch(`http://127.0.0.1:${httpPort}/api/v1/weighings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const typed = await post({ device: 'balance-1', netKg: 4.5, tareKg: 1.2, category: 'textile', bonId: 'bon-42' });
      expect(typed.status).toBe(201);
      const { id } = (await typed.json()) as { id: string };
      const published = await waitFor('the typed weighing on MQTT', () => weighings.find((w) => w.id === id));
      expect(published).toMatchObject({ netKg: 4.5, tareKg: 1.2, grossKg: 5.7, category: 'textile', source: 'manual', bonId: 'bon-42', collectType: 'apport-volontaire' });
      expect((await post({ device: 'balance-1', netKg: 'quatre', category: 'textile' })).status).toBe(400);
      expect((await post({ device: 'balance-1', netKg: -1, category: 'textile' })).status).toBe(400);
      expect((await post({ device: 'balance-1', netKg: 2, category: 'velos' })).status).toBe(400);
      expect((await post({ device: 'balance-9', netKg: 2, category: 'textile' })).status).toBe(404);

      // The scale's cable is pulled: the status says so.
      server.dropClients();
      await server.close();
      await waitFor('the scale shown offline', () => statuses.at(-1)?.devices?.['balance-1']?.state === 'offline');

      agent.kill('SIGKILL');
      await waitFor('the last will', () => statuses.at(-1)?.state === 'offline');
      // Retained: a dashboard that connects later sees the agent offline too.
      const late = await mqtt.connectAsync(broker.url, { ...creds, clientId: 'dashboards:late-dashboard' });
      const retained = new Promise<Status>((resolve) => late.on('message', (_t, p) => { const s = decode('status', p); if (s.ok) resolve(s.value); }));
      await late.subscribeAsync(agentTopic('lilas', 'comptoir', 'status'), { qos: 1 });
      expect((await retained).state).toBe('offline');
      await late.endAsync();
    } finally {
      agent.kill('SIGKILL');
      await watcher.endAsync();
      server = await TcpSerialServer.listen(scale); // afterAll closes it
    }
  });
});
