import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startUp, type RunningUp, type UpOptions } from '../../cli/up.js';
import type { RunningAgent } from '../../edge-agent/agent.js';
import { upConfigSchema, upUsersFile, type UpConfigInput } from '../../cli/up-config.js';
import { UsersFile } from '../../dashboards/auth/users-file.js';
import { dashboardsSession, jsonApi } from './http.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

/** The admin account every test stack has in its dashboards' users file. */
export const TEST_ADMIN = { name: 'test-admin', password: 'test-admin-password' };

export interface TestStack extends Omit<RunningUp, 'agent'> {
  /** A test stack always runs its local agent. */
  agent: RunningAgent;
  dataDir: string;
  /** The test admin's session cookie for the dashboards (signed in once, on first use). */
  dashboardsCookie(): Promise<string>;
  /** A JSON client of the dashboards' API, signed in as the test admin. */
  dashboardsApi: ReturnType<typeof jsonApi>;
  /**
   * Resolves once every event the agent accepted is acknowledged by ingest. A receipt follows InfluxDB's
   * acknowledgement of the whole write, whereas InfluxDB makes a point's fields visible one by one: a test
   * polling until N rows appear can catch the last one half-written, one reading after this cannot.
   */
  acknowledged(): Promise<void>;
}

/**
 * The whole system as `trebuchet up` starts it — real influxd, broker, ingest, dashboards, agent —
 * on free loopback ports with its data in a temporary folder removed at stop.
 */
export async function startTestStack(
  overrides: Omit<UpConfigInput, 'influx' | 'dashboards' | 'agentHttp' | 'dataDir'> = {},
  options: UpOptions = {},
): Promise<TestStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tb-stack-'));
  await new UsersFile(upUsersFile({ dataDir })).add(TEST_ADMIN.name, 'admin', TEST_ADMIN.password);
  let lastError: unknown;
  // A port found free may be taken before influxd binds it: try again with others.
  for (let attempt = 0; attempt < 3; attempt++) {
    const config = upConfigSchema.parse({
      dataDir,
      influx: { httpPort: await freePort(), rpcPort: await freePort() },
      dashboards: { port: 0 },
      agentHttp: { port: 0 },
      ...overrides,
      // The plain listener on a free port; TLS and HTTPS listeners (field deployment) as the test gives them.
      broker: { port: 0, ...overrides.broker },
    });
    try {
      const up = await startUp(config, pino({ level: process.env.TREBUCHET_TEST_LOG ?? 'silent' }), options);
      const agent = up.agent;
      if (!agent) throw new Error('a test stack runs its local agent: do not give localAgent: false');
      let session: Promise<string> | undefined;
      const dashboardsCookie = () => (session ??= dashboardsSession(up.dashboardsUrl, TEST_ADMIN));
      return {
        ...up,
        agent,
        dashboardsCookie,
        dashboardsApi: jsonApi(() => up.dashboardsUrl, { cookie: dashboardsCookie }),
        acknowledged: () => waitFor('the outbox acknowledged by ingest', () => agent.pending.depth === 0, 20_000).then(() => undefined),
        async stop() {
          await up.stop();
          // A demonstration keeps its data beside the stack's folder.
          for (const dir of new Set([dataDir, up.dataDir])) rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      lastError = err;
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
  throw lastError;
}

