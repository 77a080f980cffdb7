import type { Command } from 'commander';
import { DateTime } from 'luxon';
import { ingestConfigSchema, siteTimeZone, type IngestConfig } from '../ingest/config.js';
import { rebuildRollups, sitesWithData } from '../storage/rollup-rebuild.js';
import { ConfigError, loadConfig } from '../runtime/config.js';
import { openStore } from '../storage/open-store.js';
import { createLogger } from '../runtime/log.js';
import { managedInfluxCredentialsFile } from '../runtime/managed-influxd.js';
import { upConfigSchema, upInfluxDir } from './up-config.js';

interface RollupOptions {
  config?: string;
  site?: string[];
  from?: string;
  to?: string;
}

const isoDate = /^\d{4}-\d{2}-\d{2}$/;

/** Without a config: the InfluxDB, its generated credentials and the time zone `trebuchet up` runs with by default (while it runs). */
function upDefaults(): IngestConfig {
  const up = upConfigSchema.parse({});
  return ingestConfigSchema.parse({
    influx: { url: `http://127.0.0.1:${up.influx.httpPort}`, database: up.influx.database, credentialsFile: managedInfluxCredentialsFile(upInfluxDir(up)) },
    timeZone: up.site.timeZone,
  });
}

/**
 * `trebuchet rollup`: recomputes the dashboards' rollups from the stored weighings, visits and bons.
 * Ingest keeps them up to date by itself and builds them once after an upgrade; this is for a site
 * whose time zone was changed, or data written to InfluxDB by hand.
 */
export function registerRollup(program: Command): void {
  program
    .command('rollup')
    .description("rebuild the dashboards' daily sums (rollups) from the stored data: after changing a site's time zone, or writing to InfluxDB by hand")
    .option('-c, --config <file>', "an ingest configuration (its influx, timeZone and sites); without it, trebuchet up's defaults")
    .option('--site <id...>', 'only these sites (default: every site with data)')
    .option('--from <date>', 'first local date, YYYY-MM-DD (default: the ingest earliestCaptureAt)')
    .option('--to <date>', 'last local date, YYYY-MM-DD (default: today)')
    .action(async (opts: RollupOptions) => {
      let config: IngestConfig;
      try {
        config = opts.config ? loadConfig(ingestConfigSchema, opts.config) : upDefaults();
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        process.stderr.write(`${err.message}\n`);
        process.exit(2);
      }
      const from = opts.from ?? config.earliestCaptureAt.slice(0, 10);
      const to = opts.to ?? (DateTime.now().toISODate() as string);
      for (const [name, value] of [['--from', from], ['--to', to]] as const) {
        if (!isoDate.test(value) || !DateTime.fromISO(value).isValid) {
          process.stderr.write(`${name} ${value}: must be a date YYYY-MM-DD\n`);
          process.exit(2);
        }
      }
      if (to < from) {
        process.stderr.write(`--to ${to} is before --from ${from}\n`);
        process.exit(2);
      }
      const log = createLogger(undefined, { stderr: true }).child({ component: 'rollup' });
      try {
        const influx = openStore(config.influx);
        await openStore(config.influx, { requestTimeoutMs: 5_000 }).checkAccess();
        const sites = opts.site ?? (await sitesWithData(influx));
        await rebuildRollups(influx, (site) => siteTimeZone(config, site), sites, { from, to }, log);
        process.stdout.write(`rollups rebuilt for ${sites.length ? sites.join(', ') : 'no site (no data stored)'} from ${from} to ${to}\n`);
      } catch (err) {
        process.stderr.write(`InfluxDB at ${config.influx.url}: ${(err as Error).message}\n`);
        process.exit(1);
      }
    });
}
