import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardsSession } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const CLI = join(import.meta.dirname, '../../dist/cli/trebuchet.js');

function run(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
}

describe('the trebuchet command', () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
    dir = mkdtempSync(join(tmpdir(), 'tb-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('checks every kind of config without starting, and refuses a wrong key with a clear message', () => {
    for (const kind of ['up', 'agent', 'broker', 'ingest', 'dashboards', 'sim']) {
      const ok = run([kind, '--check']);
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout).toContain(`valid ${kind} configuration`);
    }
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, 'site: paris-11\nmqqt: { url: mqtt://127.0.0.1 }\n');
    const bad = run(['agent', '--config', file, '--check']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`${file}: invalid configuration`);
    expect(bad.stderr).toContain('unknown key "mqqt"');
    expect(bad.stderr).toMatch(/allowed keys here: site, agent, mqtt, http/);
  });

  it('sim plays any serial device a driver speaks, and probe sniff recognises it', async () => {
    for (const device of ['toledo', 'mt-sics', 'serial-counter']) {
      const port = await freePort();
      const file = join(dir, `sim-${device}.yaml`);
      writeFileSync(file, `device: ${device}\noutput: { type: tcp, port: ${port} }\nattendant: { enabled: false }\n`);
      const sim = spawn(process.execPath, [CLI, 'sim', '--config', file], { stdio: 'ignore' });
      try {
        await waitFor(`the simulated ${device} listening`, () =>
          new Promise<boolean>((resolve) => {
            const socket = connect(port, '127.0.0.1', () => resolve(true));
            socket.on('error', () => resolve(false));
            socket.on('connect', () => socket.destroy());
          }),
        );
        const sniff = await new Promise<string>((resolve) => {
          // A counter sends one frame a second: the probe needs a few.
          const p = spawn(process.execPath, [CLI, 'probe', 'sniff', `127.0.0.1:${port}`, '--seconds', device === 'serial-counter' ? '3.5' : '1.5', '--json'], { stdio: ['ignore', 'pipe', 'ignore'] });
          let out = '';
          p.stdout.on('data', (c: Buffer) => (out += c.toString()));
          p.on('exit', () => resolve(out));
        });
        expect((JSON.parse(sniff) as { recognised?: { driver: string } }).recognised?.driver, `${device}: ${sniff.slice(0, 800)}`).toBe(device);
      } finally {
        sim.kill('SIGTERM');
      }
    }
  }, 90_000);

  it('up starts everything, weighs simulated drop-offs, stops cleanly on Ctrl-C and reuses its data', async () => {
    const ports = { influx: await freePort(), rpc: await freePort(), broker: await freePort(), dash: await freePort(), agent: await freePort() };
    const file = join(dir, 'up.yaml');
    writeFileSync(
      file,
      [
        `dataDir: ${join(dir, 'data')}`,
        `influx: { httpPort: ${ports.influx}, rpcPort: ${ports.rpc} }`,
        `broker: { port: ${ports.broker} }`,
        `dashboards: { port: ${ports.dash} }`,
        `agentHttp: { port: ${ports.agent} }`,
        // A donor every couple of seconds, so the test sees weighings quickly.
        `simulation: { speed: 2000, seed: 7 }`,
      ].join('\n'),
    );
    const start = () => {
      const child = spawn(process.execPath, [CLI, 'up', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TREBUCHET_LOG_LEVEL: 'warn' } });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      return { child, output: () => out };
    };
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());
    const dashboardsUrl = `http://127.0.0.1:${ports.dash}`;
    let cookie = '';
    const todayKg = async () => {
      const res = await fetch(`${dashboardsUrl}/api/v1/reports/collecte?from=${today}&to=${today}`, { headers: { cookie } }).catch(() => undefined);
      if (!res?.ok) return 0;
      const body = (await res.json()) as { totals: { kg: number } };
      return body.totals.kg;
    };

    // No account exists until one is made with the command, in the users file the up config leads to.
    const first = start();
    await waitFor('the banner', () => first.output().includes('Tableau de bord'), 60_000);
    expect(first.output()).toContain('user add <nom> --role admin');
    expect((await fetch(`${dashboardsUrl}/api/v1/reports/today`)).status).toBe(401);
    const add = spawnSync(process.execPath, [CLI, 'user', 'add', 'gerante', '--role', 'admin', '--password-stdin', '-c', file], { input: 'un mot de passe long\n', encoding: 'utf8' });
    expect(add.status, add.stderr).toBe(0);
    expect(add.stdout).toContain(join(dir, 'data', 'dashboards', 'users.json'));
    cookie = await dashboardsSession(dashboardsUrl, { name: 'gerante', password: 'un mot de passe long' });
    expect(first.output()).toContain(`http://127.0.0.1:${ports.dash}`);
    expect(first.output()).toContain(join(dir, 'data', 'credentials.json'));
    const page = await fetch(`http://127.0.0.1:${ports.dash}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('lang="fr"');
    const kg = await waitFor('weighings stored by the simulated attendant', async () => {
      const v = await todayKg();
      return v > 0 && v;
    }, 45_000);
    const credentials = readFileSync(join(dir, 'data', 'credentials.json'), 'utf8');

    first.child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => first.child.once('exit', (c) => r(c)));
    expect(code, first.output()).toBe(0);

    const second = start();
    await waitFor('the second start', () => second.output().includes('Tableau de bord'), 60_000);
    // The session outlives the restart: its signing secret is kept beside the users file.
    expect(await todayKg()).toBeGreaterThanOrEqual(kg);
    expect(second.output()).not.toContain('user add <nom>');
    expect(readFileSync(join(dir, 'data', 'credentials.json'), 'utf8')).toBe(credentials);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  }, 180_000);
});
