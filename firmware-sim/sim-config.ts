import { z } from 'zod';
import { slug } from '../protocol/index.js';
import { twins } from './twins.js';

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** The serial devices `trebuchet sim` can play: a twin for each serial driver. */
const simDevices = twins.map((t) => t.driver);
/** Every twin's own keys, side by side. */
const twinOptions = Object.assign({}, ...twins.map((t) => t.options)) as UnionToIntersection<(typeof twins)[number]['options']>;

/** `trebuchet sim`: a simulated serial device and, for a scale, a counter attendant dropping goods on it. */
export const simConfigSchema = z
  .object({
    /** Which driver's twin to play (the `driver:` to put in the agent's config). */
    device: z.enum(simDevices).default('stgs'),
    ...twinOptions,
    output: z
      .discriminatedUnion('type', [
        /** Like a ser2net device server: the agent connects with a tcp transport. */
        z.object({ type: z.literal('tcp'), host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65_535).default(4001) }).strict(),
        /** A virtual serial cable (socat): the agent opens the printed device path with a serial transport. */
        z.object({ type: z.literal('pty') }).strict(),
      ])
      .default({ type: 'tcp', host: '127.0.0.1', port: 4001 }),
    attendant: z
      .object({
        enabled: z.boolean().default(true),
        /** The agent's local HTTP endpoint, where the attendant taps the category before each load. */
        agentUrl: z.url().default('http://127.0.0.1:8081'),
        device: slug.default('balance-comptoir'),
        /** Scenario time runs this many times faster than real time between donors (1: docs/domain.md's pace, a donor every ≈ 7 min). */
        speed: z.number().positive().max(10_000).default(1),
        seed: z.number().int().optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type SimConfig = z.infer<typeof simConfigSchema>;
