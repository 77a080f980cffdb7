import { realpath } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify as toYaml } from 'yaml';
import { z } from 'zod';
import { deviceSchema } from '../config.js';
import { printable } from '../../runtime/printable.js';
import { type ScaleReading } from '../drivers/scale.js';
import { createTransport, serialTransportSchema, tcpTransportSchema, type TransportConfig } from '../transport/index.js';
import type { ByteTransport } from '../transport/transport.js';
import { ACTIVE_CANDIDATES, PASSIVE_CANDIDATES, type Candidate, type ProbeDriverName, type ProbeFrame } from './candidates.js';
import { inferLinePattern, type LinePatternProposal } from './line-pattern.js';
import { listSerialPorts } from './list-ports.js';
import { LeasedTransport, ReplayTransport } from './memory-transport.js';
import { ProbeError } from './probe-error.js';

/** The rates `--baud auto` tries, most common first. */
export const AUTO_BAUD_RATES = [9600, 19200, 4800, 2400, 38400] as const;
/** A capture is cut here: enough for hundreds of frames, bounded whatever the line sends. */
const MAX_CAPTURE_BYTES = 64 * 1024;
/** Less than this, and no protocol recognised, is "nothing streamed": a power-up line at most. */
const STREAM_BYTES = 64;
/** How long a port (or a device server) may take to open. */
const OPEN_TIMEOUT_MS = 4_000;
/** An active candidate that got this many good replies (or this many bad ones and no good) has made its case. */
const ENOUGH_REPLIES = 5;

/** A recognised protocol needs this many good frames, and at most this share of errors. */
const MIN_FRAMES = 2;
const MIN_VALID_RATIO = 0.6;

/** `sniff`'s options, as the command line gives them (validated here). */
export const sniffOptionsSchema = z
  .object({
    /** A serial device path, or host:port of a serial device server. */
    target: z.string().min(1),
    baud: z.union([z.literal('auto'), z.coerce.number().int().positive()], { error: 'a baud rate (9600, 19200…) or "auto"' }).default(9600),
    dataBits: z.coerce.number().pipe(serialTransportSchema.shape.dataBits.unwrap()).default(8),
    parity: serialTransportSchema.shape.parity.unwrap().default('none'),
    stopBits: z.coerce.number().pipe(serialTransportSchema.shape.stopBits.unwrap()).default(1),
    seconds: z.coerce.number().positive().max(600).default(5),
    /** true: also ask request/response protocols; false: never write to the port; unset: ask only if nothing streamed. */
    active: z.boolean().optional(),
    /** Time given to each request/response driver on the live port. */
    activeSeconds: z.coerce.number().positive().max(60).default(2),
  })
  .strict();

export type SniffOptions = z.input<typeof sniffOptionsSchema>;

/** What one driver made of the bytes. */
export interface Attempt {
  driver: ProbeDriverName;
  label: string;
  mode: 'passive' | 'active';
  frames: number;
  errors: number;
  /** Good frames over all frames (good and bad); 0 when there were none. */
  validRatio: number;
  /** The first few reasons given for bad frames. */
  errorSamples: Array<{ reason: string; raw: string }>;
}

export interface SampleReading {
  /** As printed: `12.34 kg stable gross`, `in 1234 out 1200`. */
  text: string;
  raw?: string;
  kg?: number;
  stable?: boolean;
  net?: boolean;
  tareKg?: number;
  counts?: { in: number; out: number };
}

export interface Recognised {
  driver: ProbeDriverName;
  label: string;
  mode: 'passive' | 'active';
  /** 0–1: the share of good frames, lowered when there were only a few. */
  confidence: number;
  confidenceLabel: 'high' | 'medium' | 'low';
  frames: number;
  errors: number;
  samples: SampleReading[];
  /** A device config (agent `devices:` list) that the agent's schema accepts, as an object and as YAML. */
  config: Record<string, unknown>;
  yaml: string;
  /** Other protocols that fit too (rare: the user should check the sample readings). */
  alsoPlausible: string[];
}

export interface SniffResult {
  target: string;
  /** The transport of the attempt reported (the baud rate `auto` settled on). */
  transport: TransportConfig;
  seconds: number;
  baudRatesTried?: number[];
  bytes: number;
  /** The first bytes captured, for a human to look at. */
  head: { hex: string; printable: string };
  activeProbe: boolean;
  attempts: Attempt[];
  recognised?: Recognised;
  /** Not recognised, but text lines with a weight came: the generic line driver, with a pattern inferred from them. */
  proposal?: LineProposal;
  hints: string[];
}

export interface LineProposal extends LinePatternProposal {
  /** A device config for the `line` driver that the agent's schema accepts, as an object and as YAML. */
  config: Record<string, unknown>;
  yaml: string;
}

/** `host:port` (or `[v6]:port`) is a serial device server; anything else a serial device path. */
export function parseTarget(target: string): { kind: 'tcp'; host: string; port: number } | { kind: 'serial'; path: string } {
  const m = /^(\[[^\]]+\]|[^/:\s]+):(\d{1,5})$/.exec(target);
  if (m && !target.startsWith('/')) {
    const port = Number(m[2]);
    if (port < 1 || port > 65_535) throw new ProbeError(`${target}: TCP port must be 1–65535`);
    return { kind: 'tcp', host: m[1]!.replace(/^\[|\]$/g, ''), port };
  }
  return { kind: 'serial', path: target };
}

/** Opens a transport and resolves once it is open; a first failure (absent path, refused connection) rejects. */
async function openLink(config: TransportConfig, onData: (chunk: Buffer) => void): Promise<ByteTransport> {
  const link = createTransport(config);
  link.on('data', onData);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ProbeError(`cannot open ${link.description}: not open after ${OPEN_TIMEOUT_MS / 1000} s`)), OPEN_TIMEOUT_MS);
      link.once('open', () => {
        clearTimeout(timer);
        resolve();
      });
      // The transport reports a failed open once, then keeps retrying: the first report is the answer.
      link.once('close', (reason) => {
        clearTimeout(timer);
        reject(new ProbeError(`cannot open ${link.description}: ${reason}`));
      });
      link.start();
    });
  } catch (err) {
    await link.stop();
    throw err;
  }
  return link;
}

/** Captures what the device sends for `seconds`, without writing anything. */
class Capture {
  readonly chunks: Buffer[] = [];
  bytes = 0;
  private frozen = false;
  readonly onData = (chunk: Buffer): void => {
    if (this.frozen || this.bytes >= MAX_CAPTURE_BYTES) return;
    const kept = chunk.subarray(0, MAX_CAPTURE_BYTES - this.bytes);
    this.chunks.push(Buffer.from(kept));
    this.bytes += kept.length;
  };

  /** Ends the listening window: replies to the active probe's requests are not what the device streams. */
  freeze(): void {
    this.frozen = true;
  }

  head(n = 48): { hex: string; printable: string } {
    const first = Buffer.concat(this.chunks).subarray(0, n);
    return { hex: first.toString('hex').replace(/(..)/g, '$1 ').trim().toUpperCase(), printable: printable(first) };
  }
}

function attemptOf(candidate: Candidate, frames: number, errors: Array<{ reason: string; raw: string }>): Attempt {
  const total = frames + errors.length;
  return {
    driver: candidate.driver,
    label: candidate.label,
    mode: candidate.mode,
    frames,
    errors: errors.length,
    validRatio: total === 0 ? 0 : frames / total,
    errorSamples: errors.slice(0, 3).map((e) => ({ reason: e.reason, raw: e.raw })),
  };
}

interface Run {
  candidate: Candidate;
  attempt: Attempt;
  frames: ProbeFrame[];
  options: Record<string, unknown>;
}

/** Feeds a capture to a candidate's real driver through an in-memory transport. */
async function replay(candidate: Candidate, chunks: readonly Buffer[]): Promise<Run> {
  const transport = new ReplayTransport(chunks);
  const { driver, tally, config } = candidate.run(transport);
  driver.start();
  // Some framers (the ST,GS driver's stream parser) hand lines on a little later than they were written.
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  const options = config();
  await driver.stop();
  return { candidate, attempt: attemptOf(candidate, tally.frames.length, tally.errors), frames: tally.frames, options };
}

/** Runs a request/response candidate's real driver on the live port for up to `ms`. */
async function ask(candidate: Candidate, link: ByteTransport, ms: number): Promise<Run> {
  const { driver, tally, config } = candidate.run(new LeasedTransport(link));
  driver.start();
  const deadline = Date.now() + ms;
  // Enough good replies make the case, and so do enough rejections with none good: either way, move on.
  while (Date.now() < deadline && tally.frames.length < ENOUGH_REPLIES && !(tally.frames.length === 0 && tally.errors.length >= ENOUGH_REPLIES)) await sleep(20);
  const options = config();
  await driver.stop();
  return { candidate, attempt: attemptOf(candidate, tally.frames.length, tally.errors), frames: tally.frames, options };
}

function fits(a: Attempt): boolean {
  return a.frames >= MIN_FRAMES && a.validRatio >= MIN_VALID_RATIO;
}

/** Most good frames, weighed down by errors: a driver that reads everything it is given wins. */
function score(a: Attempt): number {
  return a.frames * a.validRatio * a.validRatio;
}

function confidenceOf(a: Attempt): { confidence: number; confidenceLabel: Recognised['confidenceLabel'] } {
  const confidence = Math.round(a.validRatio * Math.min(1, a.frames / 5) * 100) / 100;
  return { confidence, confidenceLabel: confidence >= 0.85 ? 'high' : confidence >= 0.6 ? 'medium' : 'low' };
}

function describeReading(r: ScaleReading): string {
  switch (r.kind) {
    case 'mass':
      return `${r.kg} kg  ${r.stable ? 'stable' : 'moving'}  ${r.net ? 'net' : 'gross'}${r.tareKg ? `  tare ${r.tareKg} kg` : ''}`;
    case 'overload':
      return 'overload';
    case 'underload':
      return 'underload';
    case 'not-mass':
      return `not a mass: ${r.reason}`;
  }
}

/** A few readings, different from each other, the latest first (what the display shows now comes first). */
function samplesOf(frames: readonly ProbeFrame[], n = 5): SampleReading[] {
  const out: SampleReading[] = [];
  const keys = new Set<string>();
  for (const f of [...frames].reverse()) {
    const sample: SampleReading =
      f.kind === 'scale'
        ? {
            text: describeReading(f.reading),
            raw: f.raw,
            ...(f.reading.kind === 'mass'
              ? { kg: f.reading.kg, stable: f.reading.stable, net: f.reading.net, ...(f.reading.tareKg ? { tareKg: f.reading.tareKg } : {}) }
              : {}),
          }
        : { text: `in ${f.counts.in}  out ${f.counts.out}  (wraps at ${f.counts.modulo})`, counts: { in: f.counts.in, out: f.counts.out } };
    if (keys.has(sample.text)) continue;
    keys.add(sample.text);
    out.push(sample);
    if (out.length >= n) break;
  }
  return out;
}

/** The path to put in a config: the stable /dev/serial/by-id name of the port when udev made one. */
async function configPath(path: string): Promise<string> {
  try {
    const real = await realpath(path);
    const { ports } = await listSerialPorts();
    return ports.find((p) => p.path === real && p.byId)?.byId ?? path;
  } catch {
    return path;
  }
}

/** The transport block of a printed config: a serial port by its stable path. */
async function configTransportOf(transport: TransportConfig): Promise<Record<string, unknown>> {
  return transport.type === 'serial' ? { ...transport, path: await configPath(transport.path) } : { type: 'tcp', host: transport.host, port: transport.port };
}

/** The generic line driver's device config for lines no driver read, checked by the agent's schema. */
async function lineProposal(inferred: LinePatternProposal, transport: TransportConfig): Promise<LineProposal> {
  const device = { id: 'balance-1', type: 'scale', driver: 'line', transport: await configTransportOf(transport), line: inferred.line };
  deviceSchema.parse(device);
  const seen = inferred.marks.map((m) => `« ${m.value || '(blank)'} » on ${m.lines} line(s), ${Math.round(m.repeated * 100)} % of them repeating the weight before`).join('; ');
  const notes = [
    '# Proposed by `trebuchet probe sniff` for lines no driver knows: check it against the display before pasting.',
    `# The marker took ${seen}: the one on repeated weights was taken for « stable ».`,
  ];
  return { ...inferred, config: { devices: [device] }, yaml: `${notes.join('\n')}\n${toYaml({ devices: [device] })}` };
}

async function deviceConfig(run: Run, transport: TransportConfig): Promise<{ config: Record<string, unknown>; yaml: string }> {
  const { candidate } = run;
  const configTransport = await configTransportOf(transport);
  const device: Record<string, unknown> = {
    id: candidate.deviceType === 'scale' ? 'balance-1' : 'porte-1',
    type: candidate.deviceType,
    driver: candidate.driver,
    transport: configTransport,
    [candidate.optionsKey]: run.options,
  };
  // Printed only if the agent would accept it: "ready to paste" must not be a promise the schema breaks.
  deviceSchema.parse(device);
  const notes = [
    '# Found by `trebuchet probe sniff`: paste under `devices:` in the agent config, then set id (and `weighing:`).',
    ...(candidate.deviceType === 'counter'
      ? ['# The bytes cannot tell byte order nor which counter is "in": walk through the door once and check that `in` rises.']
      : []),
  ];
  return { config: { devices: [device] }, yaml: `${notes.join('\n')}\n${toYaml({ devices: [device] })}` };
}

function hintsFor(capture: Capture, seconds: number, runs: readonly Run[], transport: TransportConfig, triedActive: boolean, baudAuto: boolean): string[] {
  const hints: string[] = [];
  const serial = transport.type === 'serial';
  if (capture.bytes === 0) {
    hints.push(`nothing received in ${seconds} s: is the device on, and its output set to continuous (stream) rather than print-on-demand?`);
    if (serial) hints.push('RS-232 needs TX, RX and GND crossed (device TX to adapter RX); RS-485 needs an A/B converter.');
    if (!triedActive) hints.push('a request/response scale (MT-SICS, SMA) only speaks when asked: run again with --active (and the right --baud).');
    else hints.push('request/response protocols (MT-SICS, SMA) got no answer either: check the baud rate and the wiring.');
    hints.push('a Modbus device (RS-485 or TCP) stays silent until asked: use `trebuchet probe modbus`.');
    return hints;
  }
  const all = Buffer.concat(capture.chunks);
  const high = all.filter((b) => b >= 0x80).length / all.length;
  const controls = all.filter((b) => (b < 0x20 && b !== 0x0d && b !== 0x0a && b !== 0x02 && b !== 0x03) || b === 0xff).length / all.length;
  if (serial) {
    if (!baudAuto) hints.push(`wrong baud rate? try --baud auto (${AUTO_BAUD_RATES.join(', ')}), or the rate set in the device's menu.`);
    if (transport.dataBits === 8 && high > 0.3) hints.push('many bytes have bit 7 set: try 7E1 (--data-bits 7 --parity even) or 7O1 (--parity odd).');
    else if (transport.dataBits === 8) hints.push('try 7E1: --data-bits 7 --parity even (or 7O1 with --parity odd).');
  } else {
    hints.push("a device server sends what its serial side receives: check the server's own baud rate and framing for that port.");
  }
  if (controls > 0.3) hints.push('mostly binary bytes: a Modbus device? use `trebuchet probe modbus`; or a line-break (0x00/0xFF) or baud rate problem.');
  else hints.push('a Modbus device? use `trebuchet probe modbus`.');
  const closest = [...runs].filter((r) => r.attempt.frames > 0).sort((a, b) => score(b.attempt) - score(a.attempt))[0];
  if (closest) {
    const a = closest.attempt;
    hints.push(`closest: ${a.driver} (${a.label}) read ${a.frames} frame(s) but rejected ${a.errors}${a.errorSamples[0] ? `, e.g. "${a.errorSamples[0].reason}"` : ''}.`);
  }
  return hints;
}

/** Closes the link however the probe ends. */
async function withLink<T>(config: TransportConfig, capture: Capture, body: (link: ByteTransport) => Promise<T>): Promise<T> {
  const link = await openLink(config, capture.onData);
  try {
    return await body(link);
  } finally {
    await link.stop();
  }
}

/**
 * Listens to a serial port or a device server, tries every driver on what came (and, if nothing streamed, asks
 * with the request/response drivers), and says which protocol it is with a config to paste.
 */
export async function sniff(input: SniffOptions, progress: (line: string) => void = () => undefined): Promise<SniffResult> {
  const parsed = sniffOptionsSchema.safeParse(input);
  if (!parsed.success) throw new ProbeError(parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; '));
  const options = parsed.data;
  const target = parseTarget(options.target);
  const baudAuto = options.baud === 'auto' && target.kind === 'serial';
  const rates: number[] = baudAuto ? [...AUTO_BAUD_RATES] : [options.baud === 'auto' ? 9600 : options.baud];
  if (options.baud === 'auto' && target.kind === 'tcp') progress('(--baud auto ignored: the device server sets the baud rate)');

  let last: { capture: Capture; runs: Run[]; transport: TransportConfig; triedActive: boolean } | undefined;
  const tried: number[] = [];
  for (const baudRate of rates) {
    tried.push(baudRate);
    const transport: TransportConfig =
      target.kind === 'tcp'
        ? tcpTransportSchema.parse({ type: 'tcp', host: target.host, port: target.port })
        : serialTransportSchema.parse({ type: 'serial', path: target.path, baudRate, dataBits: options.dataBits, parity: options.parity, stopBits: options.stopBits });
    const capture = new Capture();
    const runs: Run[] = [];
    let triedActive = false;
    await withLink(transport, capture, async (link) => {
      progress(`listening on ${link.description} for ${options.seconds} s…`);
      await sleep(options.seconds * 1000);
      capture.freeze();
      for (const candidate of PASSIVE_CANDIDATES) runs.push(await replay(candidate, capture.chunks));
      const streamed = runs.some((r) => fits(r.attempt)) || capture.bytes >= STREAM_BYTES;
      // --baud auto is passive only: a request sent at a wrong rate is garbage to the device.
      const active = !baudAuto && (options.active ?? !streamed);
      if (!active) return;
      triedActive = true;
      for (const candidate of ACTIVE_CANDIDATES) {
        progress(`asking as ${candidate.driver} for up to ${options.activeSeconds} s…`);
        const run = await ask(candidate, link, options.activeSeconds * 1000);
        runs.push(run);
        // Late replies must not be read by the next candidate as its own.
        await sleep(150);
        if (options.active !== true && fits(run.attempt) && confidenceOf(run.attempt).confidenceLabel === 'high') break;
      }
    });
    last = { capture, runs, transport, triedActive };
    if (runs.some((r) => fits(r.attempt))) break;
    // A silent line is silent at every rate: no need to try the others.
    if (capture.bytes === 0) break;
  }

  const { capture, runs, transport, triedActive } = last!;
  const ranked = runs.filter((r) => fits(r.attempt)).sort((a, b) => score(b.attempt) - score(a.attempt));
  // Counter layouts that differ only in what the bytes cannot tell are one attempt for the report.
  const attempts = bestPerDriver(runs);
  const result: SniffResult = {
    target: options.target,
    transport,
    seconds: options.seconds,
    ...(baudAuto ? { baudRatesTried: tried } : {}),
    bytes: capture.bytes,
    head: capture.head(),
    activeProbe: triedActive,
    attempts,
    hints: [],
  };
  const best = ranked[0];
  if (!best) {
    result.hints = hintsFor(capture, options.seconds, runs, transport, triedActive, baudAuto);
    const inferred = inferLinePattern(Buffer.concat(capture.chunks));
    if (inferred) result.proposal = await lineProposal(inferred, transport);
    return result;
  }
  const { config, yaml } = await deviceConfig(best, transport);
  const others = ranked.slice(1).filter((r) => r.candidate.driver !== best.candidate.driver);
  result.recognised = {
    driver: best.candidate.driver,
    label: best.candidate.label,
    mode: best.candidate.mode,
    ...confidenceOf(best.attempt),
    frames: best.attempt.frames,
    errors: best.attempt.errors,
    samples: samplesOf(best.frames),
    config,
    yaml,
    alsoPlausible: [...new Set(others.map((r) => r.candidate.driver))],
  };
  return result;
}

/** One attempt per driver and mode: the best-scoring one (the serial counter is tried with several layouts). */
function bestPerDriver(runs: readonly Run[]): Attempt[] {
  const best = new Map<string, Attempt>();
  for (const { attempt } of runs) {
    const key = `${attempt.mode} ${attempt.driver}`;
    const current = best.get(key);
    if (!current || score(attempt) > score(current) || (score(attempt) === score(current) && attempt.errors < current.errors)) best.set(key, attempt);
  }
  return [...best.values()];
}

/** The result as the command prints it. */
export function formatSniff(r: SniffResult): string {
  const lines: string[] = [];
  const asked = r.attempts.filter((a) => a.mode === 'active').map((a) => a.label);
  const where = r.transport.type === 'serial' ? `${r.transport.path} at ${r.transport.baudRate} ${r.transport.dataBits}${r.transport.parity[0]!.toUpperCase()}${r.transport.stopBits}` : `${r.transport.host}:${r.transport.port} (device server)`;
  lines.push(`${where}: ${r.bytes} bytes in ${r.seconds} s${r.baudRatesTried ? ` (baud rates tried: ${r.baudRatesTried.join(', ')})` : ''}${asked.length ? `, then asked as ${asked.join(' and ')}` : ''}`);
  lines.push('');
  lines.push('driver          mode     frames  errors');
  for (const a of r.attempts) lines.push(`${a.driver.padEnd(15)} ${a.mode.padEnd(8)} ${String(a.frames).padStart(6)}  ${String(a.errors).padStart(6)}`);
  lines.push('');
  const rec = r.recognised;
  if (rec) {
    lines.push(`Recognised: ${rec.driver} — ${rec.label}`);
    lines.push(`Confidence: ${rec.confidenceLabel} (${Math.round(rec.confidence * 100)} %: ${rec.frames} good frames, ${rec.errors} rejected)`);
    if (rec.alsoPlausible.length) lines.push(`Also plausible: ${rec.alsoPlausible.join(', ')}: compare the readings below with the display.`);
    lines.push('');
    lines.push('Sample readings (latest first):');
    for (const s of rec.samples) {
      // Weights lined up on the unit, so that moving and stable readings compare at a glance.
      const text =
        s.kg === undefined ? s.text : `${String(s.kg).padStart(9)} kg  ${s.stable ? 'stable' : 'moving'}  ${s.net ? 'net  ' : 'gross'}${s.tareKg ? `  tare ${s.tareKg} kg` : ''}`;
      lines.push(`  ${text.padEnd(32)}${s.raw ? `  ${s.raw}` : ''}`);
    }
    lines.push('');
    lines.push('Device config:');
    lines.push('');
    lines.push(rec.yaml.trimEnd());
  } else {
    lines.push('Not recognised.');
    if (r.bytes > 0) {
      lines.push(`First bytes (hex): ${r.head.hex}`);
      lines.push(`First bytes (text): ${r.head.printable}`);
    }
    if (r.proposal) {
      lines.push('');
      lines.push(`Proposed: the generic line driver, whose pattern reads ${r.proposal.matched} of the ${r.proposal.lines} lines captured:`);
      lines.push('');
      lines.push(r.proposal.yaml.trimEnd());
    }
    lines.push('');
    lines.push('Hints:');
    for (const h of r.hints) lines.push(`  - ${h}`);
  }
  return `${lines.join('\n')}\n`;
}
