import type { Command } from 'commander';
import { lazyAction } from './lazy-action.js';

const actions = () => import('./agent-enrolment-actions.js');

const configOption = '-c, --config <file>';
const configHelp = "the server's broker or up YAML config (without it: up's defaults, data/)";

/**
 * `trebuchet agent enroll | join | revoke | list`: bringing a Pi into the network, and out of it. Their bodies
 * (the broker's enrolment, certificates, MQTT) load when one runs, never in the agent the `agent` command starts.
 */
export function registerAgentEnrolment(agent: Command): void {
  agent
    .command('enroll')
    .description('on the server: a one-time code (and an offline bundle file) for a new Pi')
    .requiredOption('--site <id>', 'the site the Pi is at (a slug: lilas)')
    .requiredOption('--agent <id>', 'the Pi, within its site (a slug: comptoir)')
    .option(configOption, configHelp)
    .option('--host <name>', "this server's name or address as the Pi reaches it (default: the certificate's first name)")
    .option('--bundle <file>', "where to write the bundle (default: the broker's dataDir/broker/bundles/<site>-<agent>.trebuchet.json)")
    .option('--ttl <minutes>', 'how long the code stays valid (default: the broker\'s enrolment.codeTtlMinutes)')
    .action(lazyAction(actions, 'enroll'));

  agent
    .command('join')
    .description("on the Pi: fetch this agent's identity with a code (or read it from a bundle), write its config, and start it")
    .argument('[code]', 'the code `agent enroll` printed')
    .option('--server <url>', "the server's HTTPS address, https://name:8443")
    .option('--bundle <file>', 'the bundle file `agent enroll` wrote, instead of a code')
    .option(configOption, "the agent config to write or update (default: /etc/trebuchet/agent.yaml)", '/etc/trebuchet/agent.yaml')
    .option('--data-dir <dir>', "the agent's data folder (default: the config's dataDir, else /var/lib/trebuchet/agent)")
    .option('--no-start', 'do not restart the trebuchet-agent unit')
    .action(lazyAction(actions, 'joinNetwork'));

  agent
    .command('revoke')
    .description('on the server: cut a Pi off now (its connection is closed, every further login refused)')
    .argument('<site/agent>', 'the agent, as lilas/comptoir')
    .option(configOption, configHelp)
    .action(lazyAction(actions, 'revoke'));

  agent
    .command('list')
    .description("on the server: the agents, and whether each is enrolled, waiting for its code, or revoked")
    .option(configOption, configHelp)
    .action(lazyAction(actions, 'list'));
}
