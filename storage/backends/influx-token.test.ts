import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { influxConnectionSchema } from '../../runtime/connections.js';
import { readInfluxToken } from './influx-token.js';

describe('the InfluxDB 2.x/3.x token', () => {
  let dir: string;
  const saved = process.env.TREBUCHET_INFLUX_TOKEN;
  const conn = (over: object) => influxConnectionSchema.parse({ version: 2, org: 'o', bucket: 'b', ...over });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tb-token-'));
    delete process.env.TREBUCHET_INFLUX_TOKEN;
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (saved === undefined) delete process.env.TREBUCHET_INFLUX_TOKEN;
    else process.env.TREBUCHET_INFLUX_TOKEN = saved;
  });

  it('reads the first line of a 0600 token file', () => {
    const file = join(dir, 'token');
    writeFileSync(file, 'abc==\n# rotated 2026-11\n', { mode: 0o600 });
    expect(readInfluxToken(conn({ tokenFile: file }))).toBe('abc==');
  });

  it('refuses a token file others can read, and an empty one, saying what to do', () => {
    const file = join(dir, 'token');
    writeFileSync(file, 'abc==\n');
    chmodSync(file, 0o644);
    expect(() => readInfluxToken(conn({ tokenFile: file }))).toThrow(`chmod 600 ${file}`);
    writeFileSync(file, '\n');
    chmodSync(file, 0o600);
    expect(() => readInfluxToken(conn({ tokenFile: file }))).toThrow('is empty: it must hold the InfluxDB API token');
  });

  it('takes TREBUCHET_INFLUX_TOKEN, and a 2.x without any token is an error at start', () => {
    expect(() => readInfluxToken(conn({}))).toThrow('set TREBUCHET_INFLUX_TOKEN or influx.tokenFile');
    process.env.TREBUCHET_INFLUX_TOKEN = ' t0k3n \n';
    expect(readInfluxToken(conn({}))).toBe('t0k3n');
  });

  it('lets an InfluxDB 3 started without authentication go without one', () => {
    expect(readInfluxToken(influxConnectionSchema.parse({ version: 3 }))).toBeUndefined();
  });
});
