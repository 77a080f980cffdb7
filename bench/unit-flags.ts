import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../runtime/project-root.js';

const ROOT = projectRoot(import.meta.url);

/** Node's flags in a component's systemd unit (between `node` and the script): a bench runs it as it is deployed. */
export function unitNodeFlags(component: 'agent' | 'broker' | 'ingest' | 'dashboards' = 'agent'): string[] {
  const unit = readFileSync(join(ROOT, 'deploy', 'systemd', `trebuchet-${component}.service`), 'utf8');
  const words = /^ExecStart=(.*)$/m.exec(unit)![1]!.split(/\s+/);
  return words.slice(1, words.findIndex((w) => w.endsWith('trebuchet.js')));
}
