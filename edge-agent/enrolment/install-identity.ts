import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Document, parseDocument } from 'yaml';
import type { AgentIdentity } from '../../protocol/index.js';
import { writePrivateFile } from '../../runtime/credentials-file.js';
import { loadConfig } from '../../runtime/config.js';
import { writeFileAtomic } from '../../runtime/durable-file.js';
import { agentConfigSchema } from '../config.js';

/** Where a joined Pi keeps what the server handed it, in the agent's data folder (0700, like the rest of it). */
export function identityPaths(dataDir: string) {
  const dir = join(resolve(dataDir), 'identity');
  return { dir, caFile: join(dir, 'ca.pem'), credentialsFile: join(dir, 'credentials.json') };
}

/** The data folder of a Pi installed by scripts/install-agent.sh: the only one its unit may write. */
export const INSTALLED_AGENT_DATA_DIR = '/var/lib/trebuchet/agent';

export interface InstalledIdentity {
  configFile: string;
  dataDir: string;
  url: string;
}

function newConfig(): Document {
  const doc = new Document({});
  doc.commentBefore = " Written by `trebuchet agent join`. Add the scales and counters under `devices:` (each driver's README has a sample).";
  return doc;
}

/**
 * Writes a joined Pi's identity: its password (0600) and the CA it pins beside its data, and its agent config
 * pointing at them. An existing config keeps everything else, comments included (its devices, above all);
 * a new one is the smallest that sends. `url` is the broker URL the join found working.
 */
export function installIdentity(identity: AgentIdentity, configFile: string, url: string, dataDirOption?: string): InstalledIdentity {
  const doc = existsSync(configFile) ? parseDocument(readFileSync(configFile, 'utf8')) : newConfig();
  const dataDir = dataDirOption ?? (doc.get('dataDir') as string | undefined) ?? INSTALLED_AGENT_DATA_DIR;
  const paths = identityPaths(dataDir);
  writePrivateFile(paths.credentialsFile, `${JSON.stringify({ mqtt: { [identity.username]: { username: identity.username, password: identity.password } } }, null, 2)}\n`);
  if (identity.caPem) writePrivateFile(paths.caFile, identity.caPem);
  doc.set('site', identity.site);
  doc.set('agent', identity.agent);
  doc.set('dataDir', dataDir);
  doc.setIn(['mqtt', 'url'], url);
  doc.setIn(['mqtt', 'username'], identity.username);
  doc.setIn(['mqtt', 'credentialsFile'], paths.credentialsFile);
  if (identity.caPem) doc.setIn(['mqtt', 'caFile'], paths.caFile);
  else doc.deleteIn(['mqtt', 'caFile']);
  for (const stale of ['password', 'allowPlaintext']) doc.deleteIn(['mqtt', stale]);
  if (!doc.has('devices')) doc.set('devices', []);
  writeFileAtomic(configFile, doc.toString(), { mode: 0o640 });
  // What the agent will read at start: a join that leaves an invalid config behind must say so now.
  loadConfig(agentConfigSchema, configFile);
  return { configFile, dataDir, url };
}
