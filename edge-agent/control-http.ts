import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { describeIssues, roundTo, slug } from '../protocol/index.js';
import { createHttpApp } from '../runtime/http-app.js';
import type { Logger } from '../runtime/log.js';
import type { AgentDevices } from './agent-devices.js';
import { limitBreach, type WeightLimits } from './kiosk/weight-limits.js';

const categoryBody = z.object({ category: slug }).strict();

/** A weight typed at the counter when the scale cannot give it. */
const manualWeighingBody = z
  .object({
    device: slug,
    netKg: z.number().positive().max(10_000),
    category: slug,
    tareKg: z.number().nonnegative().max(10_000).optional(),
    bonId: z.string().min(1).max(64).optional(),
  })
  .strict();

export type ManualWeighing = z.infer<typeof manualWeighingBody>;

/**
 * The agent's local HTTP endpoint: the counter (or its kiosk) selects the category of the next load
 * here, and anyone on the Pi can see each device's state. It listens on loopback unless configured, and
 * answers only under its own names (its address, `localhost` and `allowedHosts`).
 */
export async function startControlHttp(
  listen: { host: string; port: number; allowedHosts: readonly string[] },
  devices: AgentDevices,
  /** The bounds of each scale: a typed weight is held to them as the kiosk's are. */
  scaleLimits: (scale: string) => WeightLimits | undefined,
  log: Logger,
  recordManual: (w: ManualWeighing) => Promise<{ id: string }>,
  /** More routes on the same server: the kiosk's page and API. */
  register: (app: FastifyInstance) => Promise<void>,
): Promise<{ url: string; close(): Promise<void> }> {
  const app = createHttpApp(log.child({ component: 'agent-http' }), { allowedHosts: [listen.host, ...listen.allowedHosts] });
  await register(app);

  app.get('/api/v1/devices', async () => devices.describe());

  app.put<{ Params: { id: string } }>('/api/v1/devices/:id/category', async (req, reply) => {
    const body = categoryBody.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: describeIssues(body.error) });
    const result = devices.selectCategory(req.params.id, body.data.category);
    if (result === 'unknown-device') return reply.code(404).send({ error: `no device "${req.params.id}"` });
    if (result === 'bon-capture') {
      return reply.code(409).send({ error: `scale "${req.params.id}" takes its loads on bons: pick the category on the kiosk (POST /api/v1/kiosk/scales/${req.params.id}/category)` });
    }
    if (result === 'unknown-category') {
      return reply.code(400).send({ error: `category: "${body.data.category}" is not one of ${devices.categories.join(', ')}` });
    }
    return { device: req.params.id, category: body.data.category };
  });

  // Answers only once the weighing is accepted by the agent (in its outbox): a 201 is a promise kept.
  app.post('/api/v1/weighings', async (req, reply) => {
    const body = manualWeighingBody.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: describeIssues(body.error) });
    const limits = devices.hasScale(body.data.device) && scaleLimits(body.data.device);
    if (!limits) return reply.code(404).send({ error: `no scale "${body.data.device}"` });
    const { netKg, tareKg = 0 } = body.data;
    const breach = limitBreach(limits, { netKg, grossKg: roundTo(netKg + tareKg, 6) });
    if (breach) return reply.code(422).send({ error: breach.message, code: breach.code, params: breach.params });
    if (!devices.categories.includes(body.data.category)) {
      return reply.code(400).send({ error: `category: "${body.data.category}" is not one of ${devices.categories.join(', ')}` });
    }
    try {
      return reply.code(201).send(await recordManual(body.data));
    } catch (err) {
      return reply.code(503).send({ error: (err as Error).message });
    }
  });

  const address = await app.listen({ host: listen.host, port: listen.port });
  return { url: address, close: () => app.close() };
}
