import { z } from 'zod';
import { describeIssues, slug } from '../protocol/index.js';
import { createHttpApp } from '../runtime/http-app.js';
import type { Logger } from '../runtime/log.js';
import type { AgentDevices } from './agent-devices.js';

const categoryBody = z.object({ category: slug }).strict();

/**
 * The agent's local HTTP endpoint: the counter (or its kiosk) selects the category of the next load
 * here, and anyone on the Pi can see each device's state. It listens on loopback unless configured.
 */
export async function startControlHttp(
  listen: { host: string; port: number },
  devices: AgentDevices,
  log: Logger,
): Promise<{ url: string; close(): Promise<void> }> {
  const app = createHttpApp(log.child({ component: 'agent-http' }));

  app.get('/api/v1/devices', async () => devices.describe());

  app.put<{ Params: { id: string } }>('/api/v1/devices/:id/category', async (req, reply) => {
    const body = categoryBody.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: describeIssues(body.error) });
    const result = devices.selectCategory(req.params.id, body.data.category);
    if (result === 'unknown-device') return reply.code(404).send({ error: `no device "${req.params.id}"` });
    if (result === 'unknown-category') {
      return reply.code(400).send({ error: `category: "${body.data.category}" is not one of ${devices.categories.join(', ')}` });
    }
    return { device: req.params.id, category: body.data.category };
  });

  const address = await app.listen({ host: listen.host, port: listen.port });
  return { url: address, close: () => app.close() };
}
