import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chaosRoot, CLI, formatTable, type Tally } from './harness.js';
import { runScenario, scenarios } from './scenarios.js';

/**
 * The short form of every chaos scenario (the full one is `npm run chaos`): a first install with visitors
 * at once, agent SIGKILL ×5, broker restarts ×2, agent↔broker cuts ×2 of 2 s (the agent's link over plain MQTT,
 * then over TLS; the cuts over WSS too), influxd stopped 5 s, ingest SIGKILL ×3 (over TLS), 2,000 hostile
 * payloads, forged copies of real event ids, a forged status, the broker's certificate renewed under load,
 * and broker restarts on Mosquitto (plain, then TLS). Each must end with InfluxDB holding exactly what was
 * sent: nothing lost, nothing doubled.
 * The components run as real processes from dist/: `npm run build` first (npm test does).
 */
const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000_000);
const root = chaosRoot();
const tallies: Tally[] = [];

describe.sequential(`chaos, short form (seed ${seed})`, () => {
  afterAll(() => {
    const table = formatTable(tallies);
    writeFileSync(join(root, 'table.txt'), `${table}\n\nseed ${seed}\n`);
    console.log(`\n${table}\n\nseed ${seed}; table and kept logs under ${root}`);
  });

  for (const sc of scenarios('short')) {
    it(`${sc.name} (${sc.broker}, ${sc.transport}): ${sc.chaos} — nothing lost, nothing doubled`, async () => {
      expect(existsSync(CLI), `${CLI} is missing: run \`npm run build\` first`).toBe(true);
      const t = await runScenario(sc, { root, seed, log: (l) => console.log(l) });
      tallies.push(t);
      expect(t.error, t.notes.join('\n')).toBeUndefined();
      expect({ lost: t.lost, doubled: t.doubled, wrong: t.wrong, crashes: t.crashes }, t.notes.join('\n')).toEqual({ lost: 0, doubled: 0, wrong: 0, crashes: 0 });
      expect(t.sent).toBeGreaterThan(0);
    }, 240_000);
  }
});
