import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUp } from '../../cli/up.js';
import { upConfigSchema } from '../../cli/up-config.js';
import { readInfluxCredentials, writeInfluxCredentials } from '../../runtime/credentials-file.js';
import { checkInfluxAccess, createInflux } from '../../runtime/influx-client.js';
import { startManagedInfluxd } from '../../runtime/managed-influxd.js';
import { freePort } from '../helpers/ports.js';
import { startTestStack, type TestStack } from '../helpers/up-stack.js';

const INFLUXD = process.env.TREBUCHET_INFLUXD ?? '/usr/bin/influxd';
const run = promisify(execFile);

/** What an outside client gets: curl, no credentials, as any local user could run it. */
async function curl(...args: string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await run('curl', ['-s', '-w', '\n%{http_code}', ...args]);
  const at = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) };
}

/** The addresses a TCP port listens on, from /proc/net/tcp and tcp6 (hex "0100007F" is 127.0.0.1). */
function listenAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A')
      .map((f) => f[1]!.split(':')[0]!),
  );
}

/** A managed influxd on `dir`, on free ports; other ports are tried when a parallel suite took one first. */
async function tempInfluxd(dir: string) {
  for (let attempt = 1; ; attempt++) {
    const httpPort = await freePort();
    let rpcPort = await freePort();
    while (rpcPort === httpPort) rpcPort = await freePort();
    try {
      return await startManagedInfluxd({ dir, httpPort, rpcPort, binary: INFLUXD });
    } catch (err) {
      if (attempt === 3 || !/port is taken|address already in use/.test((err as Error).message)) throw err;
    }
  }
}

describe("the managed InfluxDB refuses whoever has not trebuchet up's generated credentials", () => {
  let stack: TestStack;
  let query: string;
  let write: string;

  beforeAll(async () => {
    stack = await startTestStack({}, { attendant: false });
    query = `${stack.influxUrl}/query`;
    write = `${stack.influxUrl}/write?db=trebuchet`;
  }, 120_000);
  afterAll(() => stack?.stop());

  it('answers a query, a write and a DROP DATABASE without credentials with 401, and changes nothing', async () => {
    const read = await curl('--data-urlencode', 'q=SELECT * FROM weighing', '--data-urlencode', 'db=trebuchet', query);
    expect(read.status).toBe(401);
    expect(read.body).not.toMatch(/"series"/);

    expect((await curl('--data-binary', 'weighing,site=evil,direction=in net_kg=999', write)).status).toBe(401);
    expect((await curl('--data-urlencode', 'q=DROP DATABASE trebuchet', query)).status).toBe(401);
    // A default or guessed password fares no better.
    for (const [u, p] of [['admin', 'admin'], ['root', 'root'], ['trebuchet', 'trebuchet']]) {
      expect((await curl('-u', `${u}:${p}`, '--data-urlencode', 'q=DROP DATABASE trebuchet', query)).status).toBe(401);
    }

    const influx = createInflux(stack.influx);
    expect(await influx.getDatabaseNames()).toContain('trebuchet');
    expect(await influx.query(`SELECT * FROM weighing WHERE site = 'evil'`)).toHaveLength(0);
  });

  it('gives a web page from another origin nothing to read: 401, and never credentials allowed', async () => {
    // InfluxDB 1.6 echoes the Origin (not configurable): what protects it is that the page has no password.
    const res = await fetch(`${query}?db=trebuchet&q=${encodeURIComponent('SELECT * FROM weighing')}`, { headers: { origin: 'http://evil.example' } });
    expect(res.status).toBe(401);
    expect(await res.text()).not.toMatch(/"results"/);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    const post = await fetch(write, { method: 'POST', headers: { origin: 'http://evil.example', 'content-type': 'text/plain' }, body: 'weighing,site=evil net_kg=1' });
    expect(post.status).toBe(401);
  });

  it('listens on 127.0.0.1 only', () => {
    const port = Number(new URL(stack.influxUrl).port);
    expect(listenAddresses(port)).toEqual(['0100007F']);
  });

  it('keeps a generated password in a 0600 file, a different one in every fresh data folder, the same across restarts', async () => {
    const file = stack.influx.credentialsFile!;
    expect(file.startsWith(stack.dataDir)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const mine = readInfluxCredentials(file)!;
    expect(mine.password.length).toBeGreaterThanOrEqual(32);
    expect(mine.password).not.toMatch(/^(admin|root|password|trebuchet|influx(db)?)$/i);

    const dir = mkdtempSync(join(tmpdir(), 'tb-influx-auth-'));
    try {
      const other = await tempInfluxd(dir);
      const first = readInfluxCredentials(other.credentialsFile!)!;
      await other.stop();
      expect(first.password).not.toBe(mine.password);
      const again = await tempInfluxd(dir);
      try {
        expect(readInfluxCredentials(again.credentialsFile!)).toEqual(first);
        await checkInfluxAccess({ version: 1, url: again.url, database: 'trebuchet', credentialsFile: again.credentialsFile });
      } finally {
        await again.stop();
      }
      // A lost file is not silently replaced by a new password nobody can use: the start says what to do.
      rmSync(again.credentialsFile!);
      await expect(tempInfluxd(dir)).rejects.toThrow(/refuses the password in .*restore that file from a backup/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("never sets up its admin on another data folder's influxd that holds its port", async () => {
    // The stack's influxd holds the port; a second data folder asks for the same one.
    const dir = mkdtempSync(join(tmpdir(), 'tb-influx-auth-taken-'));
    try {
      const port = Number(new URL(stack.influxUrl).port);
      await expect(startManagedInfluxd({ dir, httpPort: port, rpcPort: await freePort(), binary: INFLUXD })).rejects.toThrow(/answered by another influxd: the port is taken/);
      expect(readInfluxCredentials(join(dir, 'credentials.json'))).toBeUndefined();
      await checkInfluxAccess(stack.influx);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses to start on an InfluxDB that is not managed with a missing or wrong password, naming the fix', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tb-influx-auth-up-'));
    const up = (influx: object) =>
      startUp(upConfigSchema.parse({ dataDir, influx: { managed: false, url: stack.influxUrl, ...influx }, broker: { port: 0 }, dashboards: { port: 0 }, agentHttp: { port: 0 } }), pino({ level: 'silent' }));
    try {
      await expect(up({})).rejects.toThrow(/refuses requests without a user.*TREBUCHET_INFLUX_PASSWORD/);
      await expect(up({ username: 'trebuchet', password: 'wrong' })).rejects.toThrow(/refuses user "trebuchet" \(wrong password\?\).*credentialsFile/);
      const leaked = join(dataDir, 'influx-credentials.json');
      writeInfluxCredentials(leaked, readInfluxCredentials(stack.influx.credentialsFile!)!);
      chmodSync(leaked, 0o644);
      await expect(up({ credentialsFile: leaked })).rejects.toThrow(/readable by other users.*chmod 600/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
