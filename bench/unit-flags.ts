import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { projectRoot } from '../runtime/project-root.js';

const ROOT = projectRoot(import.meta.url);
/** Where the units find the installed tree (scripts/install-lib.sh): a bench maps it to this checkout. */
const INSTALL_PREFIX = '/opt/trebuchet/';

type Component = 'agent' | 'broker' | 'ingest' | 'dashboards';

const unitOf = (component: Component) => readFileSync(join(ROOT, 'deploy', 'systemd', `trebuchet-${component}.service`), 'utf8');
const execStart = (component: Component) => /^ExecStart=(.*)$/m.exec(unitOf(component))![1]!.split(/\s+/);
const scriptIndex = (words: string[]) => words.findIndex((w) => w.endsWith('trebuchet.js'));

/** Node's flags in a component's systemd unit (between `node` and the script): a bench runs it as it is deployed. */
export function unitNodeFlags(component: Component = 'agent'): string[] {
  const words = execStart(component);
  return words.slice(1, scriptIndex(words));
}

/** The script a component's unit runs, in this checkout. */
export function unitScript(component: Component = 'agent'): string {
  const words = execStart(component);
  return join(ROOT, words[scriptIndex(words)]!.slice(INSTALL_PREFIX.length));
}

/** The variables a component's unit sets (`Environment=NAME=value` lines). */
export function unitEnvironment(component: Component = 'agent'): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [, name, value] of unitOf(component).matchAll(/^Environment=([A-Za-z_][A-Za-z0-9_]*)=(.*)$/gm)) env[name!] = value!;
  return env;
}

/** How a bench prints the command it ran, as the unit runs it: `node <flags> dist/bundle/trebuchet.js, NAME=value`. */
export function unitCommandLine(component: Component = 'agent'): string {
  const env = Object.entries(unitEnvironment(component)).map(([k, v]) => `${k}=${v}`);
  return [['node', ...unitNodeFlags(component), relative(ROOT, unitScript(component))].join(' '), ...env].join(', ');
}
