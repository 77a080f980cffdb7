import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createHttpApp } from './http-app.js';

describe('createHttpApp', () => {
  const log = pino({ level: 'silent' });

  it('answers JSON without Fastify schemas (bodies are checked with zod in the handlers)', async () => {
    const app = createHttpApp(log);
    app.post('/echo', async (req) => ({ got: req.body }));
    const res = await app.inject({ method: 'POST', url: '/echo', headers: { host: 'localhost' }, payload: { a: 1 } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ got: { a: 1 } });
    await app.close();
  });

  it('refuses a route declaring a Fastify schema, with a message saying where validation goes', async () => {
    const app = createHttpApp(log);
    app.post('/typed', { schema: { body: { type: 'object' } } }, async () => ({}));
    await expect(app.ready()).rejects.toThrow(/route schemas are not used here: validate the body with zod/);
    await app.close();
  });
});
