import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { judge, passed, sleep, Stack, waitFor, Dice, type BrokerKind, type Tally } from './harness.js';
import { agentImpostor, futureInstallStatus, malformedCopy, publishHostile } from './hostile.js';
import { renewServerCertificate, servedSerial, type Transport } from './tls-link.js';

/**
 * The chaos scenarios, each in a full form (`npm run chaos`) and a short one (the vitest suite). Every
 * scenario runs on a fresh stack: load flows (a weighing every 50 ms, people through the door), the chaos
 * happens meanwhile, then everything is brought back, the agent is left to deliver what it holds, and
 * InfluxDB is compared with what was sent.
 */

export type Size = 'full' | 'short';

export interface Scenario {
  /** Unique name, also the folder of its logs. */
  name: string;
  broker: BrokerKind;
  /** The agent's link to the broker. */
  transport: Transport;
  /** What the chaos does, for the table (the actual count is filled in after the run). */
  chaos: string;
  /** How long the agent may take to deliver everything once the chaos is over. */
  settleMs: number;
  /** How the stack differs from the default one (an agent installed an hour ago, 1 s visits buckets). */
  stack?: { freshInstall?: boolean; bucketSeconds?: number; operatorCertificates?: boolean };
  /** The chaos itself, with the load flowing; returns what was done, for the table. */
  body(stack: Stack, log: (line: string) => void): Promise<string>;
}

interface Sizes {
  agentKills: number;
  agentUpMs: [number, number];
  brokerRestarts: number;
  cuts: number;
  cutMs: (i: number, n: number, dice: Dice) => number;
  influxOutageMs: number;
  ingestKills: number;
  hostile: number;
  forgedCopies: number;
  settleMs: number;
  gapMs: [number, number];
}

const SIZES: Record<Size, Sizes> = {
  full: {
    agentKills: 50,
    agentUpMs: [300, 3000],
    brokerRestarts: 10,
    cuts: 10,
    // Up to 30 s each; the last one is the full 30 s.
    cutMs: (i, n, dice) => (i === n - 1 ? 30_000 : Math.round(dice.between(1000, 30_000))),
    influxOutageMs: 60_000,
    ingestKills: 20,
    hostile: 100_000,
    forgedCopies: 200,
    settleMs: 180_000,
    gapMs: [1000, 4000],
  },
  short: {
    agentKills: 5,
    agentUpMs: [300, 1500],
    brokerRestarts: 2,
    cuts: 2,
    cutMs: () => 2000,
    influxOutageMs: 5000,
    ingestKills: 3,
    hostile: 2000,
    forgedCopies: 20,
    settleMs: 60_000,
    gapMs: [700, 1500],
  },
};

/** The broker and the agent's link a scenario runs on. */
interface Variant {
  broker: BrokerKind;
  transport: Transport;
}

const AEDES: Variant = { broker: 'aedes', transport: 'tcp' };
const MOSQUITTO: Variant = { broker: 'mosquitto', transport: 'tcp' };
const AEDES_TLS: Variant = { broker: 'aedes', transport: 'tls' };
const AEDES_WSS: Variant = { broker: 'aedes', transport: 'wss' };
const MOSQUITTO_TLS: Variant = { broker: 'mosquitto', transport: 'tls' };

/** A scenario's name: what it does, then the broker and the link when they are not our broker over plain MQTT. */
function named(what: string, v: Variant): string {
  return [what, ...(v.broker === 'mosquitto' ? ['mosquitto'] : []), ...(v.transport === 'tcp' ? [] : [v.transport])].join('-');
}

function gap(stack: Stack, s: Sizes): Promise<void> {
  return sleep(stack.dice.between(s.gapMs[0], s.gapMs[1]));
}

/** The load is really flowing: `n` more weighings acknowledged from now on (or fail). */
async function flowing(stack: Stack, n = 5, timeoutMs = 30_000): Promise<void> {
  const from = stack.weighings.count('acked');
  await waitFor(`${n} more weighings acknowledged`, () => stack.weighings.count('acked') >= from + n, timeoutMs, 50);
}

function agentKills(v: Variant, s: Sizes): Scenario {
  return {
    name: named('agent-sigkill', v),
    ...v,
    chaos: `agent SIGKILL ×${s.agentKills}`,
    settleMs: s.settleMs,
    async body(stack, log) {
      for (let i = 0; i < s.agentKills; i++) {
        await sleep(stack.dice.between(s.agentUpMs[0], s.agentUpMs[1]));
        await stack.agent.kill('SIGKILL');
        await sleep(stack.dice.between(0, 500));
        await stack.agent.start();
        if ((i + 1) % 10 === 0) log(`  agent killed ${i + 1}/${s.agentKills}`);
      }
      return `agent SIGKILL ×${stack.agent.kills}`;
    },
  };
}

function brokerRestarts(v: Variant, s: Sizes): Scenario {
  return {
    name: named('broker-restart', v),
    ...v,
    chaos: `broker restart ×${s.brokerRestarts}`,
    settleMs: s.settleMs,
    async body(stack) {
      let restarts = 0;
      for (let i = 0; i < s.brokerRestarts; i++) {
        await gap(stack, s);
        // Half of them a crash, half a clean stop.
        await stack.broker.kill(i % 2 === 0 ? 'SIGKILL' : 'SIGTERM');
        await sleep(stack.dice.between(200, 2000));
        await stack.broker.start();
        restarts++;
        await flowing(stack);
      }
      return `broker restart ×${restarts} (${stack.broker.kills} SIGKILL)`;
    },
  };
}

function networkCuts(v: Variant, s: Sizes): Scenario {
  return {
    name: named('network-cut', v),
    ...v,
    chaos: `agent↔broker cut ×${s.cuts}`,
    settleMs: s.settleMs,
    async body(stack, log) {
      let total = 0;
      let longest = 0;
      for (let i = 0; i < s.cuts; i++) {
        await gap(stack, s);
        await waitFor('the agent connected through the proxy', () => stack.proxy.live > 0, 30_000);
        const ms = s.cutMs(i, s.cuts, stack.dice);
        stack.proxy.cut();
        await sleep(ms);
        stack.proxy.restore();
        total += ms;
        longest = Math.max(longest, ms);
        log(`  cut ${i + 1}/${s.cuts}: ${(ms / 1000).toFixed(1)} s`);
        await flowing(stack);
      }
      return `agent↔broker cut ×${stack.proxy.cuts} (${(total / 1000).toFixed(0)} s, longest ${(longest / 1000).toFixed(0)} s)`;
    },
  };
}

function influxOutage(v: Variant, s: Sizes): Scenario {
  return {
    name: named('influx-outage', v),
    ...v,
    chaos: `influxd stopped ${s.influxOutageMs / 1000} s`,
    settleMs: s.settleMs,
    async body(stack) {
      await gap(stack, s);
      const t0 = Date.now();
      await stack.influx.stop();
      await sleep(s.influxOutageMs);
      await stack.influx.start();
      const ms = Date.now() - t0;
      return `influxd stopped ${(ms / 1000).toFixed(0)} s under load`;
    },
  };
}

function ingestKills(v: Variant, s: Sizes): Scenario {
  return {
    name: named('ingest-sigkill', v),
    ...v,
    chaos: `ingest SIGKILL ×${s.ingestKills}`,
    settleMs: s.settleMs,
    async body(stack) {
      for (let i = 0; i < s.ingestKills; i++) {
        await gap(stack, s);
        await stack.ingest.kill('SIGKILL');
        await sleep(stack.dice.between(0, 1000));
        await stack.ingest.start();
      }
      return `ingest SIGKILL ×${stack.ingest.kills}`;
    },
  };
}

function hostile(v: Variant, s: Sizes): Scenario {
  return {
    name: named('hostile-payloads', v),
    ...v,
    chaos: `${s.hostile} hostile payloads`,
    settleMs: s.settleMs,
    async body(stack, log) {
      const report = await publishHostile({
        brokerPort: stack.brokerPort,
        credentials: stack.credentials,
        total: s.hostile,
        dice: stack.dice,
        recentIds: () => stack.weighings.lastAcked(20),
      });
      log(`  hostile: ${report.published} published ${JSON.stringify(report.byKind)}; ${report.disconnects} disconnects, ${report.stalls} stalls`);
      return `${report.published} hostile payloads`;
    },
  };
}

/**
 * Forged messages with the agent's credentials (another client id), which pass for the agent's own:
 * malformed copies carrying the ids of real events, sent while InfluxDB is away; then ingest is killed
 * before it could write its buffer. The real events are valid: they must still be stored.
 */
function forgedIds(v: Variant, s: Sizes): Scenario {
  return {
    name: named('forged-ids', v),
    ...v,
    chaos: `${s.forgedCopies} malformed copies of real events`,
    settleMs: s.settleMs,
    async body(stack, log) {
      const impostor = await agentImpostor(stack.brokerPort, stack.credentials);
      try {
        await stack.influx.stop();
        const replayed = new Set<string>();
        await waitFor(
          `${s.forgedCopies} malformed copies of real events`,
          async () => {
            for (const id of stack.weighings.lastAcked(50)) {
              if (replayed.has(id) || replayed.size >= s.forgedCopies) continue;
              const m = malformedCopy(id, replayed.size);
              replayed.add(id);
              await impostor.publishAsync(m.topic, m.payload, { qos: 1 });
            }
            return replayed.size >= s.forgedCopies;
          },
          120_000,
          50,
        );
        // Ingest answers a refused message at once; nothing outside the agent shows when it has read the answer.
        await sleep(1000);
        await stack.ingest.kill('SIGKILL');
        await stack.ingest.start();
        await stack.influx.start();
        log(`  forged: ${replayed.size} malformed copies of real events during an InfluxDB outage, then ingest SIGKILL`);
        return `${replayed.size} malformed copies of real events, InfluxDB away, ingest SIGKILL`;
      } finally {
        await impostor.endAsync(true);
      }
    },
  };
}

/** A forged status that passes the schema but says the agent was installed in 2099, with the load flowing. */
function forgedStatus(v: Variant): Scenario {
  return {
    name: named('forged-status', v),
    ...v,
    chaos: 'a status "installed in 2099"',
    settleMs: 60_000,
    async body(stack) {
      const impostor = await agentImpostor(stack.brokerPort, stack.credentials);
      try {
        const status = futureInstallStatus();
        await impostor.publishAsync(status.topic, status.payload, { qos: 1 });
        await flowing(stack, 40);
        return '1 status "installed in 2099" (not retained)';
      } finally {
        await impostor.endAsync(true);
      }
    },
  };
}

/**
 * The broker's certificate renewed while weighings stream over TLS, as certbot renews an operator's files:
 * a new certificate of the same CA written over them, which the broker reads again on its own (no restart).
 * The agent's link is then cut, so that it reconnects and must trust the new certificate through its
 * pinned CA; what the broker serves through the proxy afterwards is checked to be the new one.
 */
function certificateRenewal(s: Sizes): Scenario {
  return {
    name: 'certificate-renewal-tls',
    ...AEDES_TLS,
    chaos: 'server certificate renewed under load, then a cut',
    settleMs: s.settleMs,
    stack: { operatorCertificates: true },
    async body(stack, log) {
      const files = stack.certificates!;
      await gap(stack, s);
      const before = await servedSerial(stack.linkPort, files.caFile);
      const connectionsBefore = stack.proxy.connections;
      const renewed = await renewServerCertificate(files);
      // The broker polls its files each second and takes them once both are still for 2 s.
      await waitFor(`the broker to serve the renewed certificate ${renewed}`, async () => (await servedSerial(stack.linkPort, files.caFile)) === renewed, 20_000, 250);
      await flowing(stack);
      const linkKept = stack.proxy.connections === connectionsBefore;
      await waitFor('the agent connected through the proxy', () => stack.proxy.live > 0, 30_000);
      const cutMs = s.cutMs(0, 1, stack.dice);
      stack.proxy.cut();
      await sleep(cutMs);
      stack.proxy.restore();
      await waitFor('the agent to reconnect through the proxy', () => stack.proxy.live > 0, 30_000);
      await flowing(stack);
      // The broker serves one certificate to every new connection: the one it serves the agent's way now.
      const seen = await servedSerial(stack.proxy.port, files.caFile);
      if (seen !== renewed) throw new Error(`after the renewal and the cut, the broker served the certificate ${seen}, not the renewed one (${renewed})`);
      log(`  certificate ${before} renewed as ${renewed}; the agent's link ${linkKept ? 'stayed up across the renewal' : 'reconnected during the renewal'}, then reconnected under ${seen}`);
      return `server certificate renewed under load (link ${linkKept ? 'kept' : 'not kept'}), then a ${(cutMs / 1000).toFixed(0)} s cut: reconnected under the new certificate`;
    },
  };
}

/**
 * Not chaos but its baseline: the agent's very first run (no identity file yet), with people coming in from
 * its first second and 5 s buckets. Every other scenario runs an agent installed an hour before.
 */
function firstInstall(): Scenario {
  return {
    name: 'first-install',
    ...AEDES,
    chaos: 'first run, visitors at once',
    settleMs: 60_000,
    stack: { freshInstall: true, bucketSeconds: 5 },
    async body(stack) {
      const openStart = async () => ((await stack.counterState())?.openBucket as { bucketStart?: string } | null | undefined)?.bucketStart;
      const first = await waitFor('the first visits bucket to open', openStart, 20_000, 100);
      await waitFor('the first visits bucket to close', async () => (await openStart()) !== first, stack.bucketSeconds * 1000 + 10_000, 100);
      return `first run of the agent, visitors from its first second (${stack.bucketSeconds} s buckets)`;
    },
  };
}

/**
 * Every scenario of a size. The full form: the five kinds of chaos and the hostile payloads on our broker
 * and on Mosquitto over plain MQTT, the chaos that touches the agent's link again over TLS (and over WSS,
 * and on Mosquitto's TLS listener), and a certificate renewal under load.
 *
 * The short form (npm test) keeps its time in check: over TLS only what a TLS link can change (the agent's
 * reconnections: its kills, broker restarts, cuts) runs on both links; ingest's kills, which the agent's
 * link does not take part in, run over TLS alone; one scenario each on Mosquitto's TLS listener and over WSS.
 */
export function scenarios(size: Size): Scenario[] {
  const s = SIZES[size];
  if (size === 'short') {
    return [
      firstInstall(),
      agentKills(AEDES, s),
      agentKills(AEDES_TLS, s),
      brokerRestarts(AEDES, s),
      brokerRestarts(AEDES_TLS, s),
      networkCuts(AEDES, s),
      networkCuts(AEDES_TLS, s),
      networkCuts(AEDES_WSS, s),
      influxOutage(AEDES, s),
      ingestKills(AEDES_TLS, s),
      hostile(AEDES, s),
      forgedIds(AEDES, s),
      forgedStatus(AEDES),
      certificateRenewal(s),
      brokerRestarts(MOSQUITTO, s),
      brokerRestarts(MOSQUITTO_TLS, s),
    ];
  }
  const everything = (v: Variant) => [agentKills(v, s), brokerRestarts(v, s), networkCuts(v, s), influxOutage(v, s), ingestKills(v, s), hostile(v, s), forgedIds(v, s), forgedStatus(v)];
  return [
    firstInstall(),
    ...everything(AEDES),
    agentKills(AEDES_TLS, s),
    brokerRestarts(AEDES_TLS, s),
    networkCuts(AEDES_TLS, s),
    influxOutage(AEDES_TLS, s),
    ingestKills(AEDES_TLS, s),
    brokerRestarts(AEDES_WSS, s),
    networkCuts(AEDES_WSS, s),
    certificateRenewal(s),
    ...everything(MOSQUITTO),
    brokerRestarts(MOSQUITTO_TLS, s),
    networkCuts(MOSQUITTO_TLS, s),
  ];
}

/** Why events went missing, when they did: what ingest refused (by kind) and what the agent set aside. */
async function diagnose(stack: Stack): Promise<string[]> {
  const notes: string[] = [];
  try {
    const rows = await stack.influx.client().query<{ kind: string; count: number }>(`SELECT count("reason") AS "count" FROM "dead_letters" GROUP BY "kind"`);
    const byKind = rows.map((r) => `${r.kind}: ${r.count}`);
    if (byKind.length) notes.push(`ingest dead letters by kind: ${byKind.join(', ')}`);
  } catch {
    // no dead letter at all
  }
  try {
    const lines = readFileSync(join(stack.dir, 'agent-data', 'dead-letters.jsonl'), 'utf8').split('\n').filter(Boolean);
    const real = lines.map((l) => JSON.parse(l) as { payload: string | null; reason: string }).filter((l) => l.payload !== null);
    if (real.length) {
      const reasons = new Map<string, number>();
      for (const l of real) {
        const reason = l.reason.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>').slice(0, 120);
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
      notes.push(
        `the agent moved ${real.length} of its own events to its dead-letter file (${[...reasons].slice(0, 3).map(([r, n]) => `${n}× "${r}"`).join('; ')})`,
      );
    }
  } catch {
    // no dead-letter file
  }
  return notes;
}

export interface RunOptions {
  root: string;
  seed: number;
  log(line: string): void;
  /** Keep the scenario's folder (logs, data) even when it passed. */
  keep?: boolean;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Runs one scenario on a fresh stack and judges it; never throws (a harness error is a failed row). */
export async function runScenario(sc: Scenario, opts: RunOptions): Promise<Tally> {
  const t0 = Date.now();
  const dice = new Dice((opts.seed ^ hash(sc.name)) >>> 0);
  let stack: Stack | undefined;
  let chaos = sc.chaos;
  const errorTally = (err: unknown, s?: Stack): Tally => ({
    scenario: sc.name,
    broker: sc.broker,
    transport: sc.transport,
    chaos,
    sent: 0,
    stored: 0,
    lost: 0,
    doubled: 0,
    wrong: 0,
    crashes: s?.crashes().length ?? 0,
    seconds: (Date.now() - t0) / 1000,
    settled: 'error',
    weighings: { posted: 0, acked: 0, unanswered: 0, unansweredStored: 0, refused: 0, rejected: 0, rows: 0, lost: 0, doubled: 0 },
    visits: { expectedIn: 0, expectedOut: 0, storedIn: 0, storedOut: 0, buckets: 0 },
    notes: [`harness error: ${(err as Error).message.slice(0, 1500)}`],
    error: (err as Error).message,
  });
  opts.log(`▶ ${sc.name} (${sc.broker}, ${sc.transport}): ${sc.chaos}`);
  try {
    stack = await Stack.start({ name: sc.name, broker: sc.broker, transport: sc.transport, dice, root: opts.root, ...sc.stack });
  } catch (err) {
    return errorTally(err);
  }
  let tally: Tally;
  try {
    stack.startLoad();
    await flowing(stack, 10);
    chaos = await sc.body(stack, opts.log);
    await stack.heal();
    // The pipeline works again end to end before the load stops.
    await flowing(stack, 10, 60_000);
    await stack.stopLoad();
    const settled = await stack.settle(sc.settleMs);
    const stored = await stack.stored();
    const verdict = judge({ scenario: sc.name, broker: sc.broker, transport: sc.transport, chaos }, stack.weighings.records, stack.counter.expected, stored);
    const crashes = stack.crashes();
    // A row over TLS proves nothing if the agent's link was not TLS.
    const mismatch = stack.linkMismatch();
    tally = {
      ...verdict,
      crashes: crashes.length,
      seconds: (Date.now() - t0) / 1000,
      settled: `${settled.settled} after ${(settled.ms / 1000).toFixed(1)} s`,
      notes: [...verdict.notes, ...crashes, ...(mismatch ? [mismatch] : []), ...(await diagnose(stack))],
      ...(mismatch ? { error: `the agent's link was not ${sc.transport}: ${mismatch}` } : {}),
    };
  } catch (err) {
    tally = errorTally(err, stack);
    tally.notes.push(...(await diagnose(stack)));
  }
  await stack.down();
  if (passed(tally) && !opts.keep) stack.removeFiles();
  else tally.notes.push(`logs and data kept in ${stack.dir}`);
  opts.log(`  ${passed(tally) ? 'ok' : 'FAIL'}: sent ${tally.sent}, stored ${tally.stored}, lost ${tally.lost}, doubled ${tally.doubled}, wrong ${tally.wrong}, crashes ${tally.crashes} (${tally.seconds.toFixed(0)} s)`);
  return tally;
}
