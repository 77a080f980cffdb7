import { z } from 'zod';
import { slug } from '../protocol/index.js';

export const brokerConfigSchema = z
  .object({
    listen: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65_535).default(1883),
      })
      .strict()
      .prefault({}),
    /** Where the broker keeps its users (password hashes) and writes clients' credentials (mode 0600). */
    dataDir: z.string().default('data'),
    /** The agents allowed to connect; each gets its own user, limited to its own topic prefix. */
    agents: z
      .array(z.object({ site: slug, agent: slug }).strict())
      .default([{ site: 'ma-ressourcerie', agent: 'comptoir' }]),
  })
  .strict();

export type BrokerConfig = z.infer<typeof brokerConfigSchema>;
