import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { guardRequests } from './request-guard.js';

function app(allowedHosts?: string[]) {
  const a = Fastify();
  guardRequests(a, allowedHosts ? { allowedHosts } : {});
  a.get('/x', async () => ({ ok: true }));
  a.post('/x', async () => ({ ok: true }));
  a.delete('/x', async () => ({ ok: true }));
  return a;
}

describe('guardRequests', () => {
  it('takes IP addresses, localhost and the configured names, whatever the port or case, and refuses any other Host', async () => {
    const a = app(['Comptoir.local']);
    for (const host of ['192.168.1.20:8081', '[fe80::1]:8081', '[::1]', 'localhost', 'comptoir.local:8081', 'COMPTOIR.LOCAL']) {
      expect((await a.inject({ url: '/x', headers: { host } })).statusCode, host).toBe(200);
    }
    for (const host of ['evil.example', 'comptoir.local.evil.example:8081', '127.0.0.1.nip.io']) {
      const r = await a.inject({ url: '/x', headers: { host } });
      expect(r.statusCode, host).toBe(421);
      expect(r.json()).toMatchObject({ statusCode: 421, error: 'Misdirected Request' });
    }
  });

  it('without allowedHosts takes any Host, and still refuses cross-site and non-JSON writes', async () => {
    const a = app();
    expect((await a.inject({ url: '/x', headers: { host: 'trebuchet.example.org' } })).statusCode).toBe(200);
    const json = { host: 'trebuchet.example.org', 'content-type': 'application/json' };
    expect((await a.inject({ method: 'POST', url: '/x', headers: json, payload: '{}' })).statusCode).toBe(200);
    expect((await a.inject({ method: 'POST', url: '/x', headers: { ...json, origin: 'https://trebuchet.example.org' }, payload: '{}' })).statusCode).toBe(200);
    expect((await a.inject({ method: 'POST', url: '/x', headers: { ...json, origin: 'https://evil.example' }, payload: '{}' })).statusCode).toBe(403);
    expect((await a.inject({ method: 'POST', url: '/x', headers: { host: 'trebuchet.example.org', 'content-type': 'text/plain' }, payload: '{}' })).statusCode).toBe(415);
    // A browser always asks before a cross-site DELETE: only its Origin is checked.
    expect((await a.inject({ method: 'DELETE', url: '/x', headers: { host: 'trebuchet.example.org' } })).statusCode).toBe(200);
    expect((await a.inject({ method: 'DELETE', url: '/x', headers: { host: 'trebuchet.example.org', origin: 'http://evil.example' } })).statusCode).toBe(403);
  });
});
