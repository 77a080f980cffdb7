import { z } from 'zod';
import { MAX_PAYLOAD_BYTES, slug } from '../protocol/index.js';
import { isLoopbackHost } from '../runtime/loopback.js';

const count = (fallback: number) => z.number().int().min(1).default(fallback);
const portNumber = z.number().int().min(0).max(65_535);
const listener = (port: number) => z.object({ host: z.string().default('0.0.0.0'), port: portNumber.default(port) }).strict();

/** A DNS name or an IP address the Pis use for this server: each goes into the generated certificate. */
const serverName = z.string().regex(/^(?:[A-Za-z0-9*](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*|[0-9a-fA-F:.]+)$/, 'a host name or an IP address, without scheme nor port');

/**
 * The certificate of the TLS and HTTPS listeners. Without files, the broker is its own CA: at first start it
 * makes a CA and a server certificate for `names` (in dataDir/broker/tls/), which enrolled agents pin, and
 * renews the server certificate before it expires. With `certFile` and `keyFile` (Let's Encrypt's
 * fullchain.pem and privkey.pem), those are used, and read again when they change on disk.
 */
export const certificatesSchema = z
  .object({
    /** The names and addresses agents connect to (generated mode); by default this machine's name and addresses. */
    names: z.array(serverName).min(1).max(64).optional(),
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    /** The CA agents must trust for `certFile`; omitted: a public CA, which agents find in their system's store. */
    caFile: z.string().min(1).optional(),
  })
  .strict()
  .refine((c) => !c.certFile === !c.keyFile, { message: 'give both certFile and keyFile, or neither (the broker then generates its own)' })
  .refine((c) => !(c.certFile && c.names), { message: 'names are for the generated certificate; with certFile, the names are the certificate\'s own' })
  .refine((c) => !c.caFile || c.certFile, { message: 'caFile goes with certFile and keyFile' });
export type CertificatesConfig = z.infer<typeof certificatesSchema>;

/** How agents reach the broker from other machines: also an `up` config's `broker:` keys. */
export const brokerNetworkKeys = {
  /**
   * Plain MQTT on an address other than loopback sends every password in clear: refused unless this says
   * so (a network you trust end to end, a VPN); it is then logged as a warning at every start.
   */
  allowPlaintext: z.boolean().default(false),
  /** MQTT over TLS, for agents across the internet (8883, MQTT's registered TLS port). */
  tls: listener(8883).optional(),
  /**
   * One HTTPS port for MQTT over WebSocket (`wss://host:port/mqtt`, for shops whose network lets only 443
   * out) and the enrolment endpoint agents join through.
   */
  https: listener(8443).optional(),
  certificates: certificatesSchema.prefault({}),
  enrolment: z
    .object({
      /** How long an enrolment code stays valid (minutes): long enough to walk to the shop, short enough to be worthless if copied. */
      codeTtlMinutes: z.number().int().min(1).max(7 * 24 * 60).default(24 * 60),
      /** Join attempts per minute and per address: a code cannot be guessed. */
      attemptsPerMinute: count(10),
    })
    .strict()
    .prefault({}),
};

export const brokerConfigSchema = z
  .object({
    /** Plain MQTT (no TLS): for the components on this machine. */
    listen: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: portNumber.default(1883),
      })
      .strict()
      .prefault({}),
    ...brokerNetworkKeys,
    /** Where the broker keeps its users (password hashes) and writes clients' credentials (mode 0600). */
    dataDir: z.string().default('data'),
    /**
     * Ingest processes sharing the work on a shared subscription (ingest `sharedGroup`): each gets its own
     * user, `ingest`, `ingest-2`, `ingest-3`…, because Mosquitto binds a client's id to its username, so a
     * second connection of one user replaces the first and the instances would knock each other off.
     */
    ingestInstances: z.number().int().min(1).max(16).default(1),
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
  .strict()
  .refine((c) => c.allowPlaintext || isLoopbackHost(c.listen.host), {
    path: ['listen', 'host'],
    message:
      'plain MQTT on an address other than loopback sends passwords in clear: keep listen on 127.0.0.1 and give the agents tls (8883) or https (wss), or set allowPlaintext: true on a network you trust',
  });

export type BrokerConfig = z.infer<typeof brokerConfigSchema>;
