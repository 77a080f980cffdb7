import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startUp, type RunningUp, type UpOptions } from '../../cli/up.js';
import { upConfigSchema, type UpConfigInput } from '../../cli/up-config.js';
import { freePort } from './ports.js';

/**
 * The whole system as `trebuchet up` starts it — real influxd, broker, ingest, dashboards, agent —
 * on free loopback ports with its data in a temporary folder removed at stop.
 */
export async function startTestStack(
  overrides: Omit<UpConfigInput, 'influx' | 'broker' | 'dashboards' | 'agentHttp' | 'dataDir'> = {},
  options: UpOptions = {},
): Promise<RunningUp & { dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tb-stack-'));
  let lastError: unknown;
  // A port found free may be taken before influxd binds it: try again with others.
  for (let attempt = 0; attempt < 3; attempt++) {
    const config = upConfigSchema.parse({
      dataDir,
      influx: { httpPort: await freePort(), rpcPort: await freePort() },
      broker: { port: 0 },
      dashboards: { port: 0 },
      agentHttp: { port: 0 },
      ...overrides,
    });
    try {
      const up = await startUp(config, pino({ level: process.env.TREBUCHET_TEST_LOG ?? 'silent' }), options);
      return {
        ...up,
        dataDir,
        async stop() {
          await up.stop();
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      lastError = err;
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
  throw lastError;
}

