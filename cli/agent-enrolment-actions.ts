import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chownSync, existsSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join, resolve } from 'node:path';
import mqtt from 'mqtt';
import type { BrokerConfig } from '../broker/config.js';
import { readUsers, revokeAgent } from '../broker/credentials.js';
import { cancelCodes, createCode, pendingCodes } from '../broker/enrolment/codes.js';
import { agentUrls, issueIdentity } from '../broker/enrolment/identity.js';
import { certificateSha256 } from '../runtime/certificate-fingerprint.js';
import { serverTlsFiles } from '../broker/tls/paths.js';
import { fetchIdentity, JoinError } from '../edge-agent/enrolment/fetch-identity.js';
import { identityPaths, installIdentity } from '../edge-agent/enrolment/install-identity.js';
import { agentIdentitySchema, agentUsername, slug, type AgentIdentity } from '../protocol/index.js';
import { ConfigError } from '../runtime/config.js';
import { writePrivateFile } from '../runtime/credentials-file.js';
import { boundClientId } from '../runtime/mqtt-client-id.js';
import { brokerConfigOf } from './broker-config-of.js';

/** Bad input exits 2, a server or network that refuses 1: a script can tell a typo from an outage. */
class AgentCommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

function fail(err: unknown): never {
  if (err instanceof AgentCommandError || err instanceof ConfigError || err instanceof JoinError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(err instanceof AgentCommandError ? err.exitCode : err instanceof JoinError ? 1 : 2);
  }
  throw err;
}

function place(site: string, agent: string): { site: string; agent: string } {
  for (const [key, value] of [['--site', site], ['--agent', agent]] as const) {
    const ok = slug.safeParse(value);
    if (!ok.success) throw new AgentCommandError(`${key} "${value}": ${ok.error.issues[0]?.message}`, 2);
  }
  return { site, agent };
}

/** The CA agents pin: the broker makes it at its first start with tls or https. */
function caOf(config: BrokerConfig): string | undefined {
  if (!config.tls && !config.https) {
    throw new AgentCommandError('this broker has no tls nor https listener: agents on other machines cannot reach it securely. Add `tls: {}` and/or `https: {}` to its config (under `broker:` for up), start it once, then enrol.', 2);
  }
  const { caFile, generated } = serverTlsFiles(config);
  if (!caFile) return undefined;
  if (!existsSync(caFile)) {
    throw new AgentCommandError(generated ? `no CA yet in ${caFile}: start the broker once with its tls or https listener, then enrol` : `caFile ${caFile} does not exist`, 2);
  }
  return readFileSync(caFile, 'utf8');
}

/** Connects once with the identity, over each URL in turn: the first that works is the one the agent keeps. */
async function firstWorkingUrl(identity: AgentIdentity): Promise<{ url?: string; failures: string[] }> {
  const failures: string[] = [];
  for (const url of identity.urls) {
    try {
      const client = await mqtt.connectAsync(url, {
        username: identity.username,
        password: identity.password,
        clientId: boundClientId(identity.username, 'join'),
        ...(identity.caPem ? { ca: identity.caPem } : {}),
        rejectUnauthorized: true,
        reconnectPeriod: 0,
        connectTimeout: 10_000,
      });
      await client.endAsync();
      return { url, failures };
    } catch (err) {
      failures.push(`${url}: ${(err as Error).message}`);
    }
  }
  return { failures };
}

/** Run as root by the installer's next step: the files must belong to the agent's user, who owns its data folder. */
function giveToDataDirOwner(dataDir: string, configFile: string): void {
  if (process.getuid?.() !== 0 || !existsSync(dataDir)) return;
  const { uid, gid } = statSync(dataDir);
  const paths = identityPaths(dataDir);
  for (const p of [paths.dir, paths.caFile, paths.credentialsFile]) if (existsSync(p)) chownSync(p, uid, gid);
  chownSync(configFile, 0, gid);
}

/** Restarts the agent's unit if this machine has it (installed by scripts/install-agent.sh). */
function restartUnit(): boolean {
  try {
    execFileSync('systemctl', ['cat', 'trebuchet-agent.service'], { stdio: 'ignore' });
  } catch {
    return false;
  }
  execFileSync('systemctl', ['restart', 'trebuchet-agent.service'], { stdio: 'inherit' });
  return true;
}

/** `agent enroll`: a one-time code and an offline bundle for a new Pi. */
export function enroll(opts: { site: string; agent: string; config?: string; host?: string; bundle?: string; ttl?: string }): void {
      try {
        const config = brokerConfigOf(opts.config);
        const where = place(opts.site, opts.agent);
        const caPem = caOf(config);
        const ttl = opts.ttl === undefined ? config.enrolment.codeTtlMinutes : Number(opts.ttl);
        if (!Number.isInteger(ttl) || ttl < 1 || ttl > 7 * 24 * 60) throw new AgentCommandError(`--ttl ${opts.ttl}: minutes, from 1 to ${7 * 24 * 60}`, 2);
        const caSha256 = caPem ? certificateSha256(new X509Certificate(caPem)) : undefined;
        const host = opts.host ?? config.certificates.names?.[0] ?? hostname();
        const { code, expiresAt } = createCode(config.dataDir, where, ttl, caSha256);
        const identity = issueIdentity(config.dataDir, where, agentUrls(config, host), caPem);
        // By default beside the broker's data, which the service's user (who runs this) can always write.
        const bundle = resolve(opts.bundle ?? join(config.dataDir, 'broker', 'bundles', `${where.site}-${where.agent}.trebuchet.json`));
        writePrivateFile(bundle, `${JSON.stringify(identity, null, 2)}\n`);
        const server = config.https ? `https://${host.includes(':') ? `[${host}]` : host}:${config.https.port}` : undefined;
        process.stdout.write(
          [
            `Agent ${where.site}/${where.agent} — code d'enrôlement / enrolment code (une fois, jusqu'au / once, until ${expiresAt.toISOString()}):`,
            '',
            `    ${code}`,
            '',
            server ? `Sur le Pi / on the Pi:  sudo trebuchet agent join ${code} --server ${server}` : 'This broker has no https listener: join with the bundle.',
            `Ou hors ligne / or offline (USB): ${bundle} (0600; holds the Pi's password: delete it once used)`,
            `                 sudo trebuchet agent join --bundle /media/usb/${basename(bundle)}`,
            '',
          ].join('\n'),
        );
      } catch (err) {
        fail(err);
      }
    }

/** `agent join`: on the Pi, the identity fetched with a code (or read from a bundle), its config written, the unit restarted. */
export async function joinNetwork(code: string | undefined, opts: { server?: string; bundle?: string; config: string; dataDir?: string; start: boolean }): Promise<void> {
      try {
        let identity: AgentIdentity;
        if (opts.bundle) {
          if (code) throw new AgentCommandError('give a code or --bundle, not both', 2);
          const parsed = agentIdentitySchema.safeParse(JSON.parse(readFileSync(opts.bundle, 'utf8')));
          if (!parsed.success) throw new AgentCommandError(`${opts.bundle}: not a Trébuchet agent bundle (${parsed.error.issues[0]?.message})`, 2);
          identity = parsed.data;
        } else {
          if (!code || !opts.server) throw new AgentCommandError('give the code and --server https://…, or --bundle FILE', 2);
          identity = await fetchIdentity(opts.server, code);
        }
        const { url, failures } = await firstWorkingUrl(identity);
        for (const f of failures) process.stderr.write(`  ${url ? 'not used' : 'failed'}: ${f}\n`);
        const installed = installIdentity(identity, resolve(opts.config), url ?? identity.urls[0]!, opts.dataDir);
        giveToDataDirOwner(installed.dataDir, installed.configFile);
        process.stdout.write(`${identity.site}/${identity.agent}: ${url ? `connecté / connected (${url})` : 'NOT connected yet: the agent will keep trying'}; config ${installed.configFile}\n`);
        if (opts.start && restartUnit()) process.stdout.write('trebuchet-agent redémarré / restarted\n');
        else if (opts.start) process.stdout.write(`Démarrer / start: trebuchet agent --config ${installed.configFile}\n`);
        if (!url) process.exitCode = 1;
      } catch (err) {
        fail(err);
      }
    }

/** `agent revoke`: a Pi cut off now. */
export function revoke(who: string, opts: { config?: string }): void {
      try {
        const [site = '', agentId = '', extra] = who.split('/');
        if (extra !== undefined) throw new AgentCommandError(`"${who}": give site/agent, as lilas/comptoir`, 2);
        const where = place(site, agentId);
        const config = brokerConfigOf(opts.config);
        const result = revokeAgent(config.dataDir, agentUsername(where.site, where.agent));
        cancelCodes(config.dataDir, where);
        if (!result.revoked) throw new AgentCommandError(`no agent ${who} on this server (trebuchet agent list)`, 2);
        process.stdout.write(result.already ? `${who}: already revoked on ${result.already}\n` : `${who}: révoqué / revoked; a running broker closes its connection now. Enrol it again to bring it back.\n`);
      } catch (err) {
        fail(err);
      }
    }

/** `agent list`: the agents and their state. */
export function list(opts: { config?: string }): void {
      try {
        const config = brokerConfigOf(opts.config);
        const pending = pendingCodes(config.dataDir);
        const rows = Object.values(readUsers(config.dataDir))
          .filter((u) => u.role === 'agent')
          .map((u) => {
            const code = pending.find((p) => p.site === u.site && p.agent === u.agent);
            const state = u.revokedAt ? `révoqué / revoked ${u.revokedAt}` : code ? `code valable jusqu'au / code valid until ${code.expiresAt}` : 'actif / active';
            return `${u.site}/${u.agent}\t${state}`;
          });
        process.stdout.write(rows.length ? `${rows.join('\n')}\n` : 'no agent\n');
      } catch (err) {
        fail(err);
      }
    }
