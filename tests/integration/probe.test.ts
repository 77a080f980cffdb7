import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { agentConfigSchema } from '../../edge-agent/config.js';
import { lineConfigSchema, type LineConfigInput } from '../../edge-agent/drivers/line/config.js';
import { lineParser } from '../../edge-agent/drivers/line/parser.js';
import { parseRegisterAddress, probeModbus } from '../../edge-agent/probe/modbus-probe.js';
import { formatSniff, sniff, type SniffResult } from '../../edge-agent/probe/sniff.js';
import { createPtyPair } from '../../firmware-sim/common/pty-pair.js';
import type { ByteSink, SimulatedDevice } from '../../firmware-sim/common/sim-device.js';
import { TcpSerialServer } from '../../firmware-sim/common/tcp-serial-server.js';
import { SimulatedSerialCounter } from '../../firmware-sim/counters/simulated-serial-counter.js';
import { SimulatedLineScale } from '../../firmware-sim/line/simulated-line-scale.js';
import { serveModbusRtu, serveModbusTcp } from '../../firmware-sim/modbus/servers.js';
import { SimulatedModbusIndicator } from '../../firmware-sim/modbus/weighing-indicator.js';
import { SimulatedMtSicsScale } from '../../firmware-sim/mt-sics/simulated-mt-sics-scale.js';
import { SimulatedSartoriusScale } from '../../firmware-sim/sartorius/simulated-sartorius-scale.js';
import { SimulatedSmaScale } from '../../firmware-sim/sma/simulated-sma-scale.js';
import { SimulatedStgsScale } from '../../firmware-sim/stgs/simulated-stgs-scale.js';
import { SimulatedToledoScale } from '../../firmware-sim/toledo/simulated-toledo-scale.js';
import { freePort } from '../helpers/ports.js';

const CLI = join(import.meta.dirname, '../../dist/cli/trebuchet.js');
const KG = 12.34;
/** Short windows keep the suite quick: a twin streams at 10 Hz, so one second is ten frames. */
const SECONDS = 1;

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
});

/** The built command, as a volunteer runs it. */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'probe', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

type Twin = SimulatedDevice & { load?(kg: number): void; start?(): void; stop?(): void };

/** Plays `twin` on a socat pty with 12.34 kg settled on it; returns the path the probe opens. */
async function onPty(twin: Twin, streams: boolean): Promise<string> {
  const pair = await createPtyPair();
  cleanups.push(() => pair.close());
  cleanups.push(() => twin.stop?.());
  await pair.attach(twin);
  twin.load?.(KG);
  if (streams) twin.start?.();
  await new Promise((r) => setTimeout(r, 250)); // settled (settleMs below)
  return pair.devicePath;
}

const settle = { settleMs: [50, 150] as [number, number] };

/** The printed config is ready to paste: the agent's own schema takes it, and it names what was found. */
function expectPastable(result: SniffResult, driver: string): void {
  const parsed = parseYaml(result.recognised!.yaml) as { devices: unknown[] };
  const config = agentConfigSchema.parse(parsed);
  expect(config.devices[0]).toMatchObject({ driver, transport: result.transport.type === 'serial' ? { path: result.target } : { type: 'tcp' } });
}

function expectStableSample(result: SniffResult): void {
  expect(result.recognised!.samples.some((s) => s.kg === KG && s.stable === true)).toBe(true);
}

describe('probe sniff', () => {
  const streamed: Array<[string, string, () => Twin]> = [
    ['stgs', 'A&D indicator', () => new SimulatedStgsScale({ ...settle })],
    ['stgs', 'CAS 22-byte', () => new SimulatedStgsScale({ ...settle, format: 'cas', deviceId: 1 })],
    // 7E1 parity bits on a port read as 8N1: the driver masks them, the probe too since it is the driver.
    ['toledo', 'Toledo Continuous 7E1', () => new SimulatedToledoScale({ ...settle, parity: 'even' })],
    ['sartorius', 'Sartorius SBI with ID codes', () => new SimulatedSartoriusScale({ ...settle, idCodes: true })],
  ];

  it.each(streamed)('recognises %s (%s) streamed on a pty', async (driver, _name, make) => {
    const path = await onPty(make(), true);
    const result = await sniff({ target: path, seconds: SECONDS });
    expect(result.recognised?.driver, JSON.stringify(result.attempts)).toBe(driver);
    expect(result.recognised!.confidenceLabel).toBe('high');
    expect(result.activeProbe).toBe(false);
    expectStableSample(result);
    expectPastable(result, driver);
  });

  it('recognises a binary people counter and prints its layout', async () => {
    const counter = new SimulatedSerialCounter({ intervalMs: 100, timeScale: 2_000, initial: { in: 1234, out: 1200 } });
    const path = await onPty(counter, true);
    const result = await sniff({ target: path, seconds: SECONDS });
    expect(result.recognised?.driver).toBe('serial-counter');
    expect(result.recognised!.samples[0]!.counts!.in).toBeGreaterThanOrEqual(1234);
    expect(result.recognised!.yaml).toContain('counterBytes: 4');
    expectPastable(result, 'serial-counter');
  });

  it.each([
    ['mt-sics', () => new SimulatedMtSicsScale({ ...settle })],
    // A start-up line on connect is not "streaming": the probe still asks.
    ['sma', () => new SimulatedSmaScale({ ...settle, banner: 'ACME SCALE V1.00\r\n' })],
  ] as Array<[string, () => Twin]>)('asks a silent %s scale and recognises its replies', async (driver, make) => {
    const path = await onPty(make(), false);
    const result = await sniff({ target: path, seconds: SECONDS });
    expect(result.activeProbe).toBe(true);
    expect(result.recognised?.driver, JSON.stringify(result.attempts)).toBe(driver);
    expect(result.recognised!.mode).toBe('active');
    expectStableSample(result);
    expectPastable(result, driver);
  });

  it('recognises a scale behind a TCP serial device server, from the built CLI (--json)', async () => {
    const scale = new SimulatedToledoScale({ ...settle });
    const server = await TcpSerialServer.listen(scale);
    cleanups.push(() => server.close());
    cleanups.push(() => scale.stop());
    scale.load(KG);
    scale.start();
    const { status, stdout, stderr } = await cli(['sniff', `127.0.0.1:${server.port}`, '--seconds', String(SECONDS), '--json']);
    expect(status, stderr).toBe(0);
    const result = JSON.parse(stdout) as SniffResult;
    expect(result.recognised?.driver).toBe('toledo');
    expect(result.transport).toMatchObject({ type: 'tcp', host: '127.0.0.1', port: server.port });
    expect(result.recognised!.yaml).toContain('checksum: present');
    expectPastable(result, 'toledo');
  });

  it('prints the protocol, a sample reading and the config in text (--baud auto)', async () => {
    const path = await onPty(new SimulatedStgsScale({ ...settle }), true);
    const { status, stdout, stderr } = await cli(['sniff', path, '--baud', 'auto', '--seconds', String(SECONDS)]);
    expect(status, stderr).toBe(0);
    expect(stdout).toContain('baud rates tried: 9600');
    expect(stdout).toMatch(/Recognised: stgs/);
    expect(stdout).toMatch(/Confidence: high/);
    expect(stdout).toMatch(/12\.34 kg\s+stable\s+gross/);
    expect(stdout).toContain('driver: stgs');
    expect(stdout).toContain(`path: ${path}`);
  });

  it('says "not recognised" on garbage, with the first bytes and hints', async () => {
    let sink: ByteSink | undefined;
    const noise = setInterval(() => sink?.write(randomBytes(24)), 40);
    cleanups.push(() => clearInterval(noise));
    const path = await onPty({ setSink: (s) => (sink = s), receive: () => undefined }, false);
    const { status, stdout } = await cli(['sniff', path, '--seconds', String(SECONDS)]);
    expect(status).toBe(1);
    expect(stdout).toContain('Not recognised.');
    expect(stdout).toMatch(/First bytes \(hex\): [0-9A-F]{2} [0-9A-F]{2}/);
    expect(stdout).toContain('--baud auto');
    expect(stdout).toContain('7E1');
    expect(stdout).toContain('probe modbus');
    // Bytes streamed: nothing is written to a device the probe does not know.
    expect(stdout).not.toContain('then asked as');
  });

  it('proposes the generic line driver, with a pattern, for text lines no driver knows', async () => {
    // Loads come and go while the probe listens, counted in the twin's own lines (its clock is its line count):
    // a few moving lines, then the same stable line again, in any window, however loaded the machine.
    let lines = 0;
    const twin = new SimulatedLineScale({ intervalMs: 25, settleMs: [150, 250], now: () => lines * 100 });
    twin.on('frame', () => {
      lines++;
      if (lines % 6 === 0) twin.load(lines % 12 === 0 ? KG : 5);
    });
    const path = await onPty(twin, true);
    const result = await sniff({ target: path, seconds: SECONDS });
    expect(result.recognised, JSON.stringify(result.attempts)).toBeUndefined();
    const proposal = result.proposal!;
    expect(proposal.line.stable).toEqual({ part: 'mark', equals: ['S'] });
    expect(proposal.matched).toBe(proposal.lines);
    // Ready to paste: the agent's schema takes it, and the driver it names reads the twin's stable weight.
    const config = agentConfigSchema.parse(parseYaml(proposal.yaml));
    const device = config.devices[0]! as { driver: string; line: LineConfigInput };
    expect(device.driver).toBe('line');
    expect(lineParser(lineConfigSchema.parse(device.line))('S    12.34 kg')).toEqual({ ok: true, reading: { kind: 'mass', kg: KG, stable: true, net: false } });
    expect(formatSniff(result)).toContain('Proposed: the generic line driver');
  });

  it('says clearly when the port cannot be opened', async () => {
    const { status, stderr } = await cli(['sniff', '/dev/does-not-exist', '--seconds', '1']);
    expect(status).toBe(1);
    expect(stderr).toMatch(/cannot open serial \/dev\/does-not-exist/);
  });
});

describe('probe modbus', () => {
  const UNIT = 7;

  /** A DGT4X twin (weights in input 30001–30004, uint32 high word first) and a float32 CDAB indicator, over Modbus TCP. */
  async function twins() {
    const dgt = new SimulatedModbusIndicator({ preset: 'dini-argeo-dgt4x', decimals: 2, ...settle });
    const eagle = new SimulatedModbusIndicator({
      ...settle,
      map: { kind: 'holding', fields: { gross: { register: 0x1000, type: 'float32', wordOrder: 'CDAB' } }, decimals: 2, flags: { stable: { register: 0x1020, bit: 0 } } },
    });
    dgt.load(KG);
    eagle.load(KG);
    await new Promise((r) => setTimeout(r, 250));
    const units = new Map([
      [UNIT, dgt],
      [8, eagle],
    ]);
    const port = await freePort();
    const server = await serveModbusTcp(units, { port });
    cleanups.push(() => server.close());
    return { port, units };
  }

  it('reads register notation as protocol address and function code', () => {
    expect(parseRegisterAddress('40001')).toMatchObject({ kind: 'holding', address: 0, functionCode: 3 });
    expect(parseRegisterAddress('30005')).toMatchObject({ kind: 'input', address: 4, functionCode: 4 });
    expect(parseRegisterAddress('400101')).toMatchObject({ kind: 'holding', address: 100, functionCode: 3 });
    expect(parseRegisterAddress('0x1000')).toMatchObject({ kind: 'holding', address: 4096 });
    expect(parseRegisterAddress('12', 'input')).toMatchObject({ kind: 'input', address: 12, functionCode: 4 });
    expect(parseRegisterAddress('30001').explanation).toBe('30001 = input register, protocol address 0, read with FC04 read input registers');
    expect(() => parseRegisterAddress('40001', 'input')).toThrow(/holding register/);
  });

  it('finds a DGT4X weight as uint32 ABCD in input registers, and names the preset', async () => {
    const { port } = await twins();
    const result = await probeModbus({ host: '127.0.0.1', tcpPort: port, unit: UNIT, address: '30001', count: 5, expect: KG });
    expect(result).toMatchObject({ kind: 'input', address: 0, functionCode: 4, registers: [0, 1234, 0, 1234, 0b100] });
    const cell = result.interpretations[0]!.values.find((v) => v.type === 'uint32' && v.order === 'ABCD');
    expect(cell).toMatchObject({ value: 1234, matches: true });
    expect(result.matches![0]).toMatchObject({ register: '30001', type: 'uint32', order: 'ABCD', decimals: 2, preset: 'dini-argeo-dgt4x' });
  });

  it('finds a float32 CDAB weight from the built CLI, and looks in input registers by itself', async () => {
    const { port } = await twins();
    const float = await cli(['modbus', '--host', '127.0.0.1', '--tcp-port', String(port), '--unit', '8', '--address', '0x1000', '--count', '2', '--expect', String(KG)]);
    expect(float.status, float.stderr).toBe(0);
    expect(float.stdout).toMatch(/float32 +\S+ +\S+ +\S+ +12\.34\*/); // the CDAB column
    expect(float.stdout).toContain('44097 (offset 0): float32 CDAB = 12.34');
    expect(float.stdout).toContain('{ kind: holding, register: 4096, type: float32, wordOrder: CDAB }');

    // No --kind: holding 0 is the DGT4X command register; the weight is found in the input registers.
    const guess = await cli(['modbus', '--host', '127.0.0.1', '--tcp-port', String(port), '--unit', String(UNIT), '--expect', String(KG)]);
    expect(guess.status, guess.stderr).toBe(0);
    expect(guess.stdout).toContain('the input registers do (FC04)');
    expect(guess.stdout).toContain('30001 (offset 0): uint32 ABCD = 1234 → decimals: 2');
    expect(guess.stdout).toMatch(/^ +30002 +1 +0x04D2 +1234$/m);
  });

  it('reads over RTU on a pty through the same bus', async () => {
    const dgt = new SimulatedModbusIndicator({ preset: 'dini-argeo-dgt4x', decimals: 2, ...settle });
    dgt.load(KG);
    const pair = await createPtyPair();
    cleanups.push(() => pair.close());
    const server = await serveModbusRtu(pair.simPath, new Map([[UNIT, dgt]]));
    cleanups.push(() => server.close());
    await new Promise((r) => setTimeout(r, 250));
    const result = await probeModbus({ port: pair.devicePath, unit: UNIT, address: '30003', count: 3, expect: KG });
    expect(result.link).toContain('RTU');
    expect(result.matches![0]).toMatchObject({ register: '30003', type: 'uint32', order: 'ABCD', preset: 'dini-argeo-dgt4x' });
  });

  it('a dead unit id gets the clear message', async () => {
    const { port } = await twins();
    const { status, stderr } = await cli(['modbus', '--host', '127.0.0.1', '--tcp-port', String(port), '--unit', '9', '--timeout', '300']);
    expect(status).toBe(1);
    expect(stderr).toContain('no answer from unit 9: wrong unit id, baud rate, parity or wiring?');
  });
});
