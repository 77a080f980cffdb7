import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, cliProcess, logLine, ROOT, type ManagedProcess } from '../chaos/harness.js';
import { freePort } from '../helpers/ports.js';

const TRACE_HOOK = join(import.meta.dirname, '..', 'helpers', 'trace-modules.mjs');
/** What the agent on a Pi must never carry: other components' code, the InfluxDB clients. */
const NEVER = [/\/dist\/(broker|ingest|dashboards|storage|firmware-sim)\//, /node_modules\/(influx|@influxdata\/influxdb-client|aedes)\//];

/**
 * The modules a process loaded, from the files it resolved: a chunk of the services' bundle (the units run
 * it, cli/build-bundle.ts) stands for the modules esbuild put in it, read from the bundle's metafile.
 */
function modulesIn(files: string[]): string[] {
  const bundle = dirname(CLI);
  const meta = JSON.parse(readFileSync(join(bundle, 'meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> };
  return files.flatMap((url) => {
    if (!url.startsWith('file://')) return [url];
    const file = fileURLToPath(url);
    if (!file.startsWith(bundle)) return [url];
    const output = meta.outputs[relative(ROOT, file)];
    if (!output) throw new Error(`${file} is not in the bundle's metafile`);
    return Object.keys(output.inputs).map((input) => `file://${join(ROOT, input)}`);
  });
}
/** Loaded only when a device needs them. */
const SERIAL = /node_modules\/serialport\//;
const MODBUS = /node_modules\/modbus-serial\//;

/**
 * A component process loads its own code only (cli/trebuchet.ts, cli/components.ts), and the agent its
 * transports' libraries only when a device is configured on them: measured by `npm run bench --
 * agent-resources`, proved here on the real agent with a module-resolution hook.
 */
describe('what an agent process loads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-footprint-'));
  const running: ManagedProcess[] = [];
  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts `trebuchet agent` on `devices` (MQTT unreachable: it keeps trying), and returns the modules it resolved once started. */
  const agentWith = async (name: string, config: object, settled: (modules: string[]) => boolean = () => true) => {
    const trace = join(dir, `${name}.modules`);
    writeFileSync(trace, '');
    const file = join(dir, `${name}.yaml`);
    const mqttPort = await freePort();
    writeFileSync(file, JSON.stringify({ dataDir: join(dir, name), http: { port: 0 }, mqtt: { url: `mqtt://127.0.0.1:${mqttPort}`, username: 'x', password: 'y' }, ...config }));
    const p = cliProcess(name, 'agent', file, join(dir, `${name}.log`), logLine(/"msg":"agent started"/), { nodeArgs: ['--import', TRACE_HOOK], env: { TRACE_MODULES_FILE: trace } });
    running.push(p);
    await p.start();
    const modules = () => modulesIn(readFileSync(trace, 'utf8').split('\n').filter(Boolean));
    await expect.poll(() => settled(modules()), { timeout: 20_000, interval: 100 }).toBe(true);
    return modules();
  };

  it('runs the services\' bundle, as the agent\'s unit does', () => {
    expect(relative(ROOT, CLI)).toBe(join('dist', 'bundle', 'trebuchet.js'));
  });

  it('without devices: no other component, no InfluxDB client, no serialport, no modbus-serial', async () => {
    const modules = await agentWith('bare', { devices: [] });
    expect(modules.some((m) => m.includes('/dist/edge-agent/agent.js'))).toBe(true);
    for (const never of [...NEVER, SERIAL, MODBUS]) expect(modules.filter((m) => never.test(m)), String(never)).toEqual([]);
  });

  it('loads serialport with a serial scale, and modbus-serial with a Modbus bus, and still nothing of the others', async () => {
    const port = await freePort();
    const modules = await agentWith(
      'devices',
      {
        modbus: { buses: [{ id: 'quai', transport: { type: 'tcp', host: '127.0.0.1', port } }] },
        devices: [
          { id: 'balance', type: 'scale', driver: 'stgs', transport: { type: 'serial', path: join(dir, 'no-such-tty') } },
          { id: 'indicateur', type: 'scale', driver: 'modbus-scale', modbus: { bus: 'quai', unitId: 1, preset: 'dini-argeo-dgt4x', decimals: 2 } },
        ],
      },
      // Both open at start, the port absent and the bus refused: their libraries load for the first attempt.
      (m) => m.some((u) => SERIAL.test(u)) && m.some((u) => MODBUS.test(u)),
    );
    for (const never of NEVER) expect(modules.filter((m) => never.test(m)), String(never)).toEqual([]);
  });
});
