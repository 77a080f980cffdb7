import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { describeIssues, slug } from '../../protocol/index.js';
import { SseClients, sseFrame } from '../../runtime/sse.js';
import { Refusal, type CounterDesk } from './counter-desk.js';
import type { KioskRefusal, KioskState } from './kiosk-types.js';

const by = z.string().trim().min(1).max(64).optional();
const comment = z.string().max(500);

const openBonBody = z
  .object({
    direction: z.enum(['in', 'out']),
    collectType: slug.optional(),
    district: slug.optional(),
    destination: slug.optional(),
    partner: slug.optional(),
    comment: comment.optional(),
    by,
  })
  .strict();
const patchBonBody = z.object({ district: slug.nullable().optional(), comment: comment.nullable().optional() }).strict();
const byBody = z.object({ by }).strict().prefault({});
const categoryBody = z.object({ category: slug, by }).strict();
const containerBody = z.object({ container: slug.nullable() }).strict();
/** The typed weight travels as the text typed, so that "12,5" and "abc" are judged here as on the screen. */
const typedLineBody = z.object({ scale: slug, category: slug, typed: z.string().max(40), container: slug.optional(), by }).strict();

type Parsed<T> = { ok: true; data: T } | { ok: false };

function parse<T>(schema: z.ZodType<T>, body: unknown, reply: FastifyReply): Parsed<T> {
  const r = schema.safeParse(body ?? undefined);
  if (r.success) return { ok: true, data: r.data };
  void reply.code(400).send({ error: 'missing-field', message: describeIssues(r.error) } satisfies KioskRefusal);
  return { ok: false };
}

/** Runs a desk action; a refusal becomes its HTTP status with the code the page words. */
async function answer(reply: FastifyReply, action: () => Promise<unknown> | unknown, okStatus = 200): Promise<FastifyReply> {
  try {
    return reply.code(okStatus).send(await action());
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    return reply.code(err.status).send({ error: err.code, message: err.message, ...(err.params ? { params: err.params } : {}) } satisfies KioskRefusal);
  }
}

/**
 * The kiosk's API on the agent: the counter's state, a live stream of weights and notices, and the
 * actions of the screen. Served by the agent itself, so the counter works while the server is away.
 */
export function registerKiosk(app: FastifyInstance, desk: CounterDesk, state: () => KioskState): { close(): void; watchers(): number } {
  // Four streams per address: the counter's tablet (and a reload or two) always finds a slot free.
  const clients = new SseClients({ maxClients: 20, maxPerAddress: 4, heartbeatMs: 10_000 });
  desk.on('changed', () => clients.broadcast(sseFrame('state', state())));
  desk.on('notice', (n) => clients.broadcast(sseFrame('notice', n)));
  desk.on('live', (l) => clients.broadcast(sseFrame('live', l)));

  app.get('/api/v1/kiosk/state', async () => state());
  app.get('/api/v1/kiosk/stream', (_req, reply) => clients.attach(reply, sseFrame('state', state())));

  app.post('/api/v1/kiosk/bons', async (req, reply) => {
    const b = parse(openBonBody, req.body, reply);
    if (!b.ok) return reply;
    const { by: who, ...input } = b.data;
    return answer(reply, () => desk.openBon(input, who), 201);
  });
  app.patch<{ Params: { bonId: string } }>('/api/v1/kiosk/bons/:bonId', async (req, reply) => {
    const b = parse(patchBonBody, req.body, reply);
    if (!b.ok) return reply;
    return answer(reply, () => desk.updateBon(req.params.bonId, b.data));
  });
  app.post<{ Params: { bonId: string } }>('/api/v1/kiosk/bons/:bonId/close', async (req, reply) => {
    const b = parse(byBody, req.body, reply);
    if (!b.ok) return reply;
    return answer(reply, () => desk.closeBon(req.params.bonId, b.data.by));
  });
  app.post<{ Params: { bonId: string } }>('/api/v1/kiosk/bons/:bonId/abandon', async (req, reply) => {
    const b = parse(byBody, req.body, reply);
    if (!b.ok) return reply;
    return answer(reply, () => desk.abandonBon(req.params.bonId, b.data.by));
  });
  app.post<{ Params: { bonId: string } }>('/api/v1/kiosk/bons/:bonId/lines', async (req, reply) => {
    const b = parse(typedLineBody, req.body, reply);
    if (!b.ok) return reply;
    const { by: who, ...input } = b.data;
    return answer(reply, () => desk.typeLine(req.params.bonId, input, who), 201);
  });
  app.post<{ Params: { bonId: string; lineId: string } }>('/api/v1/kiosk/bons/:bonId/lines/:lineId/void', async (req, reply) => {
    const b = parse(byBody, req.body, reply);
    if (!b.ok) return reply;
    return answer(reply, () => desk.voidLine(req.params.bonId, req.params.lineId, b.data.by));
  });
  app.post<{ Params: { id: string } }>('/api/v1/kiosk/scales/:id/category', async (req, reply) => {
    const b = parse(categoryBody, req.body, reply);
    if (!b.ok) return reply;
    return answer(reply, () => desk.pickCategory(req.params.id, b.data.category, b.data.by));
  });
  app.put<{ Params: { id: string } }>('/api/v1/kiosk/scales/:id/container', async (req, reply) => {
    const b = parse(containerBody, req.body, reply);
    if (!b.ok) return reply;
    return answer(reply, () => desk.setContainer(req.params.id, b.data.container));
  });

  return { close: () => clients.close(), watchers: () => clients.size };
}
