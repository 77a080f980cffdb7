import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeInfluxCredentials } from './credentials-file.js';
import { influxConnectionSchema } from './connections.js';
import { resolveInfluxAuth } from './influx-client.js';

describe('resolveInfluxAuth', () => {
  let dir: string;
  const conn = (c: object) => influxConnectionSchema.parse(c);
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tb-influx-auth-'));
    vi.stubEnv('TREBUCHET_INFLUX_USERNAME', undefined);
    vi.stubEnv('TREBUCHET_INFLUX_PASSWORD', undefined);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uses no user when none is given: an InfluxDB without authentication', () => {
    expect(resolveInfluxAuth(conn({}))).toBeUndefined();
  });

  it("takes the config's credentials file before the environment, which may be meant for another InfluxDB", () => {
    const file = join(dir, 'influx.json');
    writeInfluxCredentials(file, { username: 'trebuchet', password: 'from-file' });
    vi.stubEnv('TREBUCHET_INFLUX_PASSWORD', 'from-env');
    expect(resolveInfluxAuth(conn({ credentialsFile: file }))).toEqual({ username: 'trebuchet', password: 'from-file' });
    expect(resolveInfluxAuth(conn({ username: 'ingest' }))).toEqual({ username: 'ingest', password: 'from-env' });
  });

  it('names the fix when a password, a user or the file is missing', () => {
    expect(() => resolveInfluxAuth(conn({ username: 'ingest' }))).toThrow(/password of user "ingest" missing.*TREBUCHET_INFLUX_PASSWORD/);
    vi.stubEnv('TREBUCHET_INFLUX_PASSWORD', 'secret');
    expect(() => resolveInfluxAuth(conn({}))).toThrow(/username missing.*influx\.username/);
    expect(() => resolveInfluxAuth(conn({ credentialsFile: join(dir, 'none.json') }))).toThrow(/no InfluxDB credentials file .*none\.json/);
  });
});
