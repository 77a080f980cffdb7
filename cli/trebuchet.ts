#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError, loadConfig } from '../runtime/config.js';
import { createLogger, type Logger } from '../runtime/log.js';
import { registerAgentEnrolment } from './agent-enrolment.js';
import { components } from './components.js';

/**
 * Running a component (the agent on a Pi, ingest…) defines the components and their own subcommands only;
 * any other command, or help, defines them all. Each definition module imports its implementation, and a
 * long-running process must carry only its own (`npm run bench -- agent-resources`).
 */
const invoked = process.argv[2];
const runsComponent = invoked !== undefined && Object.hasOwn(components, invoked);

const program = new Command()
  .name('trebuchet')
  .description('Trébuchet — weighing and footfall for ressourceries')
  .showHelpAfterError()
  // `agent join -c FILE`: an option after a subcommand is the subcommand's, not its parent's (`agent -c FILE`).
  .enablePositionalOptions();

for (const [name, c] of Object.entries(components)) {
  const command = program
    .command(name)
    .description(c.summary)
    .option('-c, --config <file>', 'YAML configuration file (without it: the embedded defaults)')
    .option('--check', 'validate the configuration and exit');
  if (name === 'up') command.option('--demo', 'a demonstration: the same system on a data folder of its own (dataDir-demo), filled with a calibrated past year and this year to date');
  if (name === 'agent') registerAgentEnrolment(command);
  if (name === 'broker' && (!runsComponent || invoked === 'broker')) (await import('./broker-mosquitto.js')).registerBrokerMosquitto(command);
  command.action(async (opts: { config?: string; check?: boolean; demo?: boolean }) => {
    let config: unknown;
    try {
      config = loadConfig(await c.schema(), opts.config);
      if (opts.demo) config = { ...(config as object), demo: true };
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    if (opts.check) {
      process.stdout.write(`${opts.config ?? '(embedded defaults)'}: valid ${name} configuration\n`);
      return;
    }
    const log = name === 'up' ? createLogger() : createLogger().child({ component: name });
    let running: { stop(): Promise<void> };
    try {
      const start = (await c.load()) as (config: unknown, log: Logger) => Promise<{ stop(): Promise<void> }>;
      running = await start(config, log);
    } catch (err) {
      log.fatal({ err: (err as Error).message }, `${name} could not start`);
      process.exit(1);
    }
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      // A stop that hangs must not keep the process alive forever.
      setTimeout(() => process.exit(1), 20_000).unref();
      running.stop().then(
        () => process.exit(0),
        (err: Error) => {
          log.error({ err: err.message }, 'error while stopping');
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}

if (!runsComponent) {
  (await import('./probe.js')).registerProbe(program);
  (await import('./user.js')).registerUser(program);
  (await import('./rollup.js')).registerRollup(program);
}

await program.parseAsync();
