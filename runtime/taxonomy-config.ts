import { z } from 'zod';
import { DEFAULT_TAXONOMY, taxonomySchema, type Taxonomy } from '../protocol/taxonomy.js';
import { ConfigError, loadConfig } from './config.js';

/**
 * The two keys by which a config gives the site taxonomy: inline (`taxonomy`), or as a YAML file shared by
 * the agent and the dashboards (`taxonomyFile`, read and validated with the config, so `--check` covers it).
 */
export const taxonomyConfigKeys = {
  /** The site's categories, collect types, destinations, partners, districts and containers. */
  taxonomy: taxonomySchema.optional(),
  /** A YAML file holding the taxonomy, relative to the working directory; the same file for agent and dashboards. */
  taxonomyFile: z
    .string()
    .min(1)
    .transform((path, ctx): Taxonomy => {
      try {
        return loadConfig(taxonomySchema, path);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: err instanceof ConfigError ? `${path}: ${err.problems.join('; ')}` : (err as Error).message });
        return z.NEVER;
      }
    })
    .optional(),
};

export function refineOneTaxonomy(c: { taxonomy?: unknown; taxonomyFile?: unknown }, ctx: z.RefinementCtx): void {
  if (c.taxonomy && c.taxonomyFile) ctx.addIssue({ code: 'custom', path: ['taxonomyFile'], message: 'give the taxonomy inline or as a file, not both' });
}

/** The taxonomy a config gives, or the default one (the eight categories of docs/domain.md). */
export function siteTaxonomy(c: { taxonomy?: Taxonomy; taxonomyFile?: Taxonomy }): Taxonomy {
  return c.taxonomyFile ?? c.taxonomy ?? DEFAULT_TAXONOMY;
}
