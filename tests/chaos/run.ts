import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chaosRoot, formatTable, passed, type Tally } from './harness.js';
import { runScenario, scenarios, type Size } from './scenarios.js';

/**
 * `npm run chaos`: every scenario in its full form, then the table. Exits non-zero if any row lost,
 * doubled or mangled an event, or a component crashed.
 *
 *   npm run chaos                              # everything, full form (long: the 60 s outage, 30 s cuts…)
 *   npm run chaos -- agent-sigkill network-cut # some scenarios (by name or name prefix)
 *   CHAOS_SIZE=short npm run chaos             # the short form, as the vitest suite runs it
 *   CHAOS_SEED=1234 CHAOS_KEEP=1               # replay the same random moments; keep every log and data folder
 *   CHAOS_CLI=/path/to/bundle/trebuchet.js     # run the components from another build than dist/ (one that is not
 *                                              # rebuilt while a long run restarts them); CHAOS_DIR: where logs go
 */
const size: Size = process.env.CHAOS_SIZE === 'short' ? 'short' : 'full';
const only = process.argv.slice(2);
const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000_000);
const root = chaosRoot();
const chosen = scenarios(size).filter((s) => only.length === 0 || only.some((o) => s.name === o || s.name.startsWith(`${o}`)));
if (chosen.length === 0) {
  console.error(`no scenario matches ${only.join(', ')}; there are: ${scenarios(size).map((s) => s.name).join(', ')}`);
  process.exit(2);
}

process.on('SIGINT', () => process.exit(130));
console.log(`chaos (${size}), seed ${seed}, ${chosen.length} scenarios, folder ${root}`);
const tallies: Tally[] = [];
for (const sc of chosen) {
  tallies.push(await runScenario(sc, { root, seed, log: (l) => console.log(l), keep: process.env.CHAOS_KEEP === '1' }));
}
const table = formatTable(tallies);
console.log(`\n${table}\n\nseed ${seed}`);
writeFileSync(join(root, 'table.txt'), `${table}\n\nseed ${seed}\n`);
const failed = tallies.filter((t) => !passed(t));
console.log(failed.length ? `${failed.length} of ${tallies.length} scenarios FAILED: ${failed.map((t) => t.scenario).join(', ')}` : `all ${tallies.length} scenarios passed`);
process.exit(failed.length ? 1 : 0);
