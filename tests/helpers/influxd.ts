import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startManagedInfluxd, type RunningInfluxd } from '../../runtime/managed-influxd.js';
import { freePort } from './ports.js';

export type { RunningInfluxd };

const INFLUXD = process.env.TREBUCHET_INFLUXD ?? '/usr/bin/influxd';

/**
 * Starts a throw-away InfluxDB 1.x on free loopback ports with its data in a temporary directory,
 * removed at stop, without authentication: the tests that drive it connect with a bare client (the
 * test stack's influxd, as `trebuchet up` starts it, has authentication). Retries a few times because a
 * port found free may be taken by a parallel suite before influxd binds it.
 */
export async function startInfluxd(): Promise<RunningInfluxd> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'tb-influxd-'));
    try {
      const port = await freePort();
      let rpcPort = await freePort();
      while (rpcPort === port) rpcPort = await freePort();
      const influxd = await startManagedInfluxd({ dir, httpPort: port, rpcPort, binary: INFLUXD, auth: false });
      return {
        ...influxd,
        async stop() {
          await influxd.stop();
          await rm(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      lastError = err;
      await rm(dir, { recursive: true, force: true });
    }
  }
  throw lastError;
}
