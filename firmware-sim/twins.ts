import { z } from 'zod';
import { stgsFormats } from '../edge-agent/drivers/stgs/config.js';
import { diniStrings } from './stgs/stgs-frames.js';
import type { SimulatedDevice } from './common/sim-device.js';
import type { SimulatedScaleBase } from './common/simulated-scale-base.js';

/** A device `trebuchet sim` serves and starts. */
export type RunnableTwin = SimulatedDevice & { start(): void; stop(): void };

/** What a twin of each kind is: a scale also for the attendant to load. */
interface TwinOfKind {
  scale: SimulatedScaleBase;
  counter: RunnableTwin;
}

/** How `trebuchet sim` plays the device one serial driver reads. */
export interface TwinDefinition<K extends keyof TwinOfKind, N extends string, S extends z.ZodRawShape> {
  /** The driver that reads it: the `driver:` to put in the agent's config, and sim's `device:`. */
  driver: N;
  kind: K;
  /** The keys of sim's config it takes, at its top level beside `device` (where the command has always had them). */
  options: S;
  /**
   * Builds the twin. Its module is imported here, not at the top: every `trebuchet` command loads sim's config
   * schema, and the agent on a Pi must not load the simulators.
   */
  create(options: { [P in keyof S]: z.output<S[P]> }): Promise<TwinOfKind[K]>;
}

function twin<const N extends string, K extends keyof TwinOfKind, S extends z.ZodRawShape>(definition: TwinDefinition<K, N, S>): TwinDefinition<K, N, S> {
  return definition;
}

/** One twin per serial driver (`twins.test.ts` checks it against the driver registry). */
export const twins = [
  twin({
    driver: 'stgs',
    kind: 'scale',
    options: {
      /** Frame format of the ST,GS twin. */
      format: z.enum(stgsFormats).exclude(['auto']).default('ad-indicator'),
      /** With format dini: the standard string, the « AF » string, or answers to `REXT` (polled, nothing streamed). */
      diniString: z.enum(diniStrings).default('standard'),
    },
    create: async ({ format, diniString }) => new (await import('./stgs/simulated-stgs-scale.js')).SimulatedStgsScale({ format, diniString }),
  }),
  twin({
    driver: 'mt-sics',
    kind: 'scale',
    options: {},
    create: async () => new (await import('./mt-sics/simulated-mt-sics-scale.js')).SimulatedMtSicsScale(),
  }),
  twin({
    driver: 'toledo',
    kind: 'scale',
    options: {},
    create: async () => new (await import('./toledo/simulated-toledo-scale.js')).SimulatedToledoScale(),
  }),
  twin({
    driver: 'sartorius',
    kind: 'scale',
    options: {},
    create: async () => new (await import('./sartorius/simulated-sartorius-scale.js')).SimulatedSartoriusScale(),
  }),
  twin({
    driver: 'radwag',
    kind: 'scale',
    options: {},
    create: async () => new (await import('./radwag/simulated-radwag-scale.js')).SimulatedRadwagScale(),
  }),
  twin({
    driver: 'ohaus',
    kind: 'scale',
    options: {},
    create: async () => new (await import('./ohaus/simulated-ohaus-scale.js')).SimulatedOhausScale(),
  }),
  twin({
    driver: 'sma',
    kind: 'scale',
    options: {},
    create: async () => new (await import('./sma/simulated-sma-scale.js')).SimulatedSmaScale(),
  }),
  twin({
    driver: 'nci',
    kind: 'scale',
    options: {},
    create: async () => new (await import('./nci/simulated-nci-scale.js')).SimulatedNciScale(),
  }),
  twin({
    driver: 'line',
    kind: 'scale',
    options: {},
    create: async () => new (await import('./line/simulated-line-scale.js')).SimulatedLineScale(),
  }),
  twin({
    driver: 'serial-counter',
    kind: 'counter',
    options: {
      /** People counter: simulated seconds per real second, so a demo sees visitors come and go. */
      counterTimeScale: z.number().positive().max(100_000).default(60),
    },
    create: async ({ counterTimeScale }) =>
      new (await import('./counters/simulated-serial-counter.js')).SimulatedSerialCounter({ timeScale: counterTimeScale }),
  }),
] as const;
