import type { Command } from 'commander';
import type { BrokerConfig } from '../broker/config.js';
import { credentialsPaths } from '../broker/credentials.js';
import type { MosquittoConfigResult } from '../broker/mosquitto/write-config.js';
import { ConfigError } from '../runtime/config.js';
import { brokerConfigOf } from './broker-config-of.js';

/** What the operator reads: what was written, who Mosquitto will refuse and why, and the commands left to run. */
export function mosquittoConfigReport(r: MosquittoConfigResult, config: BrokerConfig, configFile: string | undefined): string {
  const { dir, conf } = r.files;
  const users = credentialsPaths(config.dataDir);
  const again = `trebuchet broker mosquitto-config${configFile ? ` -c ${configFile}` : ''} --out ${dir}`;
  const out = [`Mosquitto configuration written to ${dir}: mosquitto.conf, passwd (${r.written.length} users), acl (the embedded broker's rules).`];
  if (r.revoked.length) out.push(`Left out (revoked): ${r.revoked.join(', ')}.`);
  if (r.lacking.length) {
    out.push(
      `Mosquitto will refuse ${r.lacking.map((u) => u.username).join(', ')}: made before Mosquitto hashes were stored, and their password is not on this server.`,
      `  Fix: re-enrol each agent (trebuchet agent enroll --site SITE --agent AGENT, then join on its Pi), or remove it from ${users.users} and ${users.credentials}, start the broker once to make it again, and give the agent its new password; then run: ${again}`,
    );
  }
  if (r.missingTlsFiles.length) {
    out.push(
      `Missing TLS files: ${r.missingTlsFiles.join(', ')}: Mosquitto will not start. Start \`trebuchet broker\` once with this config to generate them, or set certificates.certFile and keyFile to your own.`,
    );
  }
  // Root's new files would lock the services out of their own credentials.
  if (process.getuid?.() === 0) {
    out.push(`Run as root: if it made users, ${users.users} and ${users.credentials} now belong to root; give them back to the services' user: chown trebuchet:trebuchet ${users.users} ${users.credentials}`);
  }
  out.push(
    '',
    'Mosquitto 2 reads these files as the mosquitto user, after dropping root. As root:',
    `  chown -R mosquitto:mosquitto ${dir}`,
    ...(config.tls || config.https ? [`  make ${r.tls.keyFile} and ${r.tls.certFile} readable by mosquitto (for Let's Encrypt: a copy it owns, renewed by a certbot deploy hook)`] : []),
    `  ln -sf ${conf} /etc/mosquitto/conf.d/trebuchet.conf`,
    '  systemctl restart mosquitto    (the first time: new listeners open only at start)',
    '  systemctl reload mosquitto     (afterwards: rereads passwd and acl)',
    `After every \`trebuchet agent revoke\` or new agent, run this command again, then the chown and \`systemctl reload mosquitto\`: until then Mosquitto still lets a revoked agent in.`,
    'Not carried over (Mosquitto has no equivalent): the login backoff, and dropping the retain flag of kinds the contract does not retain.',
  );
  return `${out.join('\n')}\n`;
}

/** `trebuchet broker mosquitto-config`: Mosquitto as the broker, with the embedded broker's users and rules. */
export function registerBrokerMosquitto(broker: Command): void {
  broker
    .command('mosquitto-config')
    .description('write mosquitto.conf, passwd and acl for Mosquitto from this broker config (-c) and its users: the same listeners, users and per-agent rules')
    .requiredOption('--out <dir>', 'the folder to write to (made 0700), e.g. /etc/mosquitto/trebuchet')
    .option('-c, --config <file>', "the broker's (or up's) YAML config (without it: up's defaults, data/)")
    .action(async (opts: { out: string; config?: string }) => {
      const configFile = opts.config;
      try {
        const config = brokerConfigOf(configFile);
        // Loaded on demand, as the components are: an agent's Pi never loads the broker's code.
        const { writeMosquittoConfig } = await import('../broker/mosquitto/write-config.js');
        const result = await writeMosquittoConfig(config, opts.out);
        process.stdout.write(mosquittoConfigReport(result, config, configFile));
        if (result.lacking.length || result.missingTlsFiles.length) process.exitCode = 1;
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        process.stderr.write(`${err.message}\n`);
        process.exit(2);
      }
    });
}
