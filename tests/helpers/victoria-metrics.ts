import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { freePort } from './ports.js';

export interface RunningVictoriaMetrics {
  url: string;
  port: number;
  /** Every sample stored, one series per measurement and numeric field (`weighing_net_kg`). */
  exportAll(): Promise<ExportedSeries[]>;
  /** Stops the server, keeping its data and port for `start()`. */
  pause(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

const exportedSchema = z.object({ metric: z.record(z.string(), z.string()), values: z.array(z.number()), timestamps: z.array(z.number()) });
export type ExportedSeries = z.infer<typeof exportedSchema>;

async function waitHealthy(url: string, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`victoria-metrics exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Debian's VictoriaMetrics on a free loopback port, data in a temporary directory: a real server of
 * InfluxDB's v2 write API (`/api/v2/write`), to check the 2.x/3.x write path (it has no InfluxQL, so not
 * the queries). Retention is a century, as our points are dated in past years (its default, a month,
 * drops them silently).
 */
export async function startVictoriaMetrics(): Promise<RunningVictoriaMetrics> {
  const dir = await mkdtemp(join(tmpdir(), 'tb-vm-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('victoria-metrics', [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${dir}`, '-retentionPeriod=100y', '-search.disableCache', '-loggerLevel=ERROR'], { stdio: 'ignore' });
    await waitHealthy(url, child);
  };
  const pause = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url,
    port,
    async exportAll() {
      // Samples are searchable once flushed from VictoriaMetrics' ingestion buffers.
      await fetch(`${url}/internal/force_flush`);
      const res = await fetch(`${url}/api/v1/export?${new URLSearchParams({ 'match[]': '{__name__=~".+"}' })}`);
      if (!res.ok) throw new Error(`export: HTTP ${res.status} ${await res.text()}`);
      return (await res.text())
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => exportedSchema.parse(JSON.parse(l)));
    },
    pause,
    start,
    async stop() {
      await pause();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
