import { z } from 'zod';
import { MAX_PAYLOAD_BYTES, slug } from '../protocol/index.js';

const count = (fallback: number) => z.number().int().min(1).default(fallback);

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
    /** What one client may cost the broker's memory; a client over a limit is refused and logged. */
    limits: z
      .object({
        /** Open connections at once, every user together (a site has a few agents and servers). */
        maxConnections: count(200),
        /**
         * The largest message payload. The contract's maximum (ingest refuses bigger ones anyway), which it
         * may lower, never raise; the largest MQTT packet follows from it.
         */
        maxPayloadBytes: count(MAX_PAYLOAD_BYTES).pipe(z.number().max(MAX_PAYLOAD_BYTES, `at most the contract's ${MAX_PAYLOAD_BYTES}`)),
        /** What the broker holds for one persistent session (QoS 1 messages not yet acknowledged); beyond, new ones are dropped. */
        offlineQueue: z
          .object({ messages: count(1000), bytes: count(16 * 1024 * 1024) })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /**
     * Failed logins, per address and per user: after `freeFailures`, that address or user is refused without
     * checking the password for `baseDelayMs`, doubling on each further failure up to `maxDelayMs`.
     */
    loginBackoff: z
      .object({ freeFailures: count(5), baseDelayMs: count(1000), maxDelayMs: count(60_000) })
      .strict()
      .prefault({}),
  })
  .strict();

export type BrokerConfig = z.infer<typeof brokerConfigSchema>;
