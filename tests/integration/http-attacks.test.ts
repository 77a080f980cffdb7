import { readdirSync, statSync } from 'node:fs';
import { request, type ClientRequest } from 'node:http';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATED_SCALE_ID } from '../../cli/up.js';
import { upUsersFile } from '../../cli/up-config.js';
import { dashboardsConfigSchema } from '../../dashboards/config.js';
import { startDashboards } from '../../dashboards/server.js';
import type { KioskBon, KioskState } from '../../edge-agent/kiosk/kiosk-types.js';
import { dashboardsSession, jsonApi, rawRequest } from '../helpers/http.js';
import { startTestStack, TEST_ADMIN, type TestStack } from '../helpers/up-stack.js';
import { waitFor } from '../helpers/wait.js';

/** Opens the kiosk's live stream from `from` and keeps it open; resolves with the status once the head arrives. */
function openStream(base: string, from: string, held: ClientRequest[]): Promise<{ status: number; body: Promise<string> }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: '/api/v1/kiosk/stream', agent: false, localAddress: from }, (res) => {
      const body = new Promise<string>((done) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => done(text));
      });
      resolve({ status: res.statusCode!, body });
    });
    held.push(req);
    req.on('error', reject);
    req.end();
  });
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(e.parentPath, e.name);
    return e.isDirectory() ? [path, ...walk(path)] : [path];
  });
}

/** The holes of issue 13, each tried as the outside attacker did, on the whole system (`trebuchet up`). */
describe('HTTP attacks on the agent, the kiosk and the dashboards (issue 13)', () => {
  let stack: TestStack;
  const kiosk = jsonApi(() => stack.agent.httpUrl);
  /** A new bon, once one a failed test left open is abandoned: each test stands on its own. */
  const openBon = async (body: object = {}) => {
    const left = (await kiosk<KioskState>('GET', '/api/v1/kiosk/state')).body.bon;
    if (left) expect((await kiosk('POST', `/api/v1/kiosk/bons/${left.bonId}/abandon`, {})).status).toBe(200);
    const r = await kiosk<KioskBon>('POST', '/api/v1/kiosk/bons', { direction: 'in', collectType: 'apport-volontaire', by: 'Awa', ...body });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body;
  };

  beforeAll(async () => {
    stack = await startTestStack({ simulation: { capture: 'bon', maxKg: 150 } }, { attendant: false });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('refuses a rebound Host, a cross-site Origin and a body-less or form POST: the bon stays open', async () => {
    const agent = stack.agent.httpUrl;
    const port = new URL(agent).port;
    const bon = await openBon();
    const abandon = `/api/v1/kiosk/bons/${bon.bonId}/abandon`;

    // DNS rebinding: the attacker's name, resolved to the agent.
    for (const path of ['/api/v1/kiosk/state', '/api/v1/devices', '/']) {
      const rebound = await rawRequest(agent, 'GET', path, { headers: { host: `evil.example:${port}` } });
      expect(rebound.status, path).toBe(421);
      expect(rebound.body).toMatchObject({ statusCode: 421, message: expect.stringContaining('http.allowedHosts') });
    }
    expect((await rawRequest(agent, 'POST', abandon, { headers: { host: `evil.example:${port}`, 'content-type': 'application/json' }, body: '{}' })).status).toBe(421);

    // Cross-site requests a page of another site can send without a preflight.
    const noBody = await rawRequest(agent, 'POST', abandon, { headers: { origin: 'http://evil.example' } });
    expect(noBody).toMatchObject({ status: 403, body: { error: 'Forbidden', message: expect.stringContaining('http://evil.example') } });
    const opaque = await rawRequest(agent, 'POST', abandon, { headers: { origin: 'null', 'content-type': 'application/json' }, body: '{}' });
    expect(opaque.status).toBe(403);
    // Without Origin (an old browser, a non-browser client) the body type still tells.
    for (const type of [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await rawRequest(agent, 'POST', abandon, { headers: type ? { 'content-type': type } : {}, body: type ? 'by=evil' : undefined });
      expect(r.status, String(type)).toBe(415);
      expect(r.body).toMatchObject({ statusCode: 415, message: expect.stringContaining('application/json') });
    }
    expect((await kiosk<KioskState>('GET', '/api/v1/kiosk/state')).body.bon?.bonId).toBe(bon.bonId);

    // The agent's own names still work, with the page's own Origin.
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `LOCALHOST.:${port}`]) {
      expect((await rawRequest(agent, 'GET', '/api/v1/kiosk/state', { headers: { host } })).status, host).toBe(200);
    }
    const own = await rawRequest(agent, 'POST', abandon, { headers: { origin: `http://127.0.0.1:${port}`, 'content-type': 'application/json; charset=utf-8' }, body: '{"by":"Awa"}' });
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    expect(own.body).toMatchObject({ state: 'abandoned' });

    // The dashboards refuse cross-site writes too: a forged sign-in from another site's form.
    const dash = stack.dashboardsUrl;
    const login = JSON.stringify(TEST_ADMIN);
    expect((await rawRequest(dash, 'POST', '/api/v1/login', { headers: { origin: 'http://evil.example', 'content-type': 'application/json' }, body: login, from: '127.0.0.20' })).status).toBe(403);
    expect((await rawRequest(dash, 'POST', '/api/v1/login', { headers: { 'content-type': 'text/plain' }, body: login, from: '127.0.0.20' })).status).toBe(415);
  }, 60_000);

  it('ends a session at « Se déconnecter »: a cookie copied before is refused after, across a restart too', async () => {
    const dash = stack.dashboardsUrl;
    const copied = await dashboardsSession(dash, TEST_ADMIN);
    const other = await dashboardsSession(dash, TEST_ADMIN);
    expect((await rawRequest(dash, 'GET', '/api/v1/me', { headers: { cookie: copied } })).status).toBe(200);
    const out = await rawRequest(dash, 'POST', '/api/v1/logout', { headers: { cookie: copied, 'content-type': 'application/json' }, body: '{}' });
    expect(out.status).toBe(204);
    expect((await rawRequest(dash, 'GET', '/api/v1/me', { headers: { cookie: copied } })).status).toBe(401);
    expect((await rawRequest(dash, 'GET', '/api/v1/me', { headers: { cookie: other } })).status).toBe(200);

    const usersFile = upUsersFile({ dataDir: stack.dataDir });
    expect(statSync(join(usersFile, '..', 'revoked-sessions.json')).mode & 0o777).toBe(0o600);
    // The dashboards started again on the same folder: the copied cookie stays refused, the other still holds.
    const again = await startDashboards(
      dashboardsConfigSchema.parse({
        http: { host: '127.0.0.1', port: 0 },
        mqtt: { url: 'mqtt://127.0.0.1:9', username: 'dashboards', password: 'unused' },
        influx: { url: 'http://127.0.0.1:9' },
        usersFile,
      }),
      pino({ level: 'silent' }),
    );
    try {
      expect((await rawRequest(again.url, 'GET', '/api/v1/me', { headers: { cookie: copied } })).status).toBe(401);
      expect((await rawRequest(again.url, 'GET', '/api/v1/me', { headers: { cookie: other } })).status).toBe(200);
    } finally {
      await again.stop();
    }
  }, 60_000);

  it('sends a Content-Security-Policy, frame-ancestors/X-Frame-Options and nosniff on the pages and the APIs', async () => {
    for (const [base, path] of [
      [stack.dashboardsUrl, '/'],
      [stack.dashboardsUrl, '/api/v1/login-state'],
      [stack.agent.httpUrl, '/'],
      [stack.agent.httpUrl, '/api/v1/kiosk/state'],
    ] as const) {
      const { headers } = await rawRequest(base, 'GET', path);
      const where = `${base}${path}`;
      expect(headers['content-security-policy'], where).toContain("script-src 'self'");
      expect(headers['content-security-policy'], where).toContain("frame-ancestors 'none'");
      expect(headers['x-frame-options'], where).toBe('DENY');
      expect(headers['x-content-type-options'], where).toBe('nosniff');
    }
  });

  it('keeps the agent’s files private: 0600 files in 0700 folders', async () => {
    const bon = await openBon({ comment: 'Mme Martin, 06 12 34 56 78' });
    await kiosk('POST', `/api/v1/kiosk/bons/${bon.bonId}/lines`, { scale: SIMULATED_SCALE_ID, category: 'livres', typed: '3', by: 'Awa' });
    await kiosk('POST', `/api/v1/kiosk/bons/${bon.bonId}/close`, { by: 'Awa' });
    const dir = join(stack.dataDir, 'agent');
    await waitFor('the counter state and the bons on disk', () => {
      const names = walk(dir).map((p) => p.slice(dir.length));
      return names.some((n) => n.startsWith('/counters/')) && names.includes('/kiosk/bons.json') && names.some((n) => n.startsWith('/outbox/'));
    });
    const modes = [dir, ...walk(dir)].map((p) => [p.slice(dir.length) || '/', (statSync(p).mode & 0o777).toString(8)]);
    expect(modes.filter(([, mode]) => mode !== '600' && mode !== '700')).toEqual([]);
  });

  it('bounds live streams per address: one client cannot take the kiosk’s every slot', async () => {
    const held: ClientRequest[] = [];
    try {
      const flood = await Promise.all(Array.from({ length: 25 }, () => openStream(stack.agent.httpUrl, '127.0.0.30', held)));
      expect(flood.filter((s) => s.status === 200)).toHaveLength(4);
      const refused = flood.find((s) => s.status === 429)!;
      expect(flood.filter((s) => s.status === 429)).toHaveLength(21);
      expect(JSON.parse(await refused.body)).toMatchObject({ statusCode: 429, message: expect.stringContaining('Too many live streams') });
      // The counter's tablet still gets its stream.
      const tablet = await openStream(stack.agent.httpUrl, '127.0.0.31', held);
      expect(tablet.status).toBe(200);
      expect(stack.agent.kioskWatchers()).toBe(5);
    } finally {
      for (const req of held) req.destroy();
    }
    await waitFor('the streams closed', () => stack.agent.kioskWatchers() === 0);
  });

  it('holds a weight typed on the agent’s API to the scale’s bounds, as the kiosk does', async () => {
    const post = (body: object) => kiosk<{ error: string; code?: string }>('POST', '/api/v1/weighings', { device: SIMULATED_SCALE_ID, category: 'livres', ...body });
    expect(await post({ netKg: 10_000 })).toMatchObject({ status: 422, body: { code: 'over-max', error: expect.stringContaining('150 kg') } });
    expect(await post({ netKg: 1e-9 })).toMatchObject({ status: 422, body: { code: 'under-min', error: expect.stringContaining('0.2 kg') } });
    expect(await post({ netKg: 140, tareKg: 20 })).toMatchObject({ status: 422, body: { code: 'over-max' } });
    expect((await post({ netKg: 12.5 })).status).toBe(201);

    const bon = await openBon();
    const typed = (text: string) => kiosk<{ error: string }>('POST', `/api/v1/kiosk/bons/${bon.bonId}/lines`, { scale: SIMULATED_SCALE_ID, category: 'livres', typed: text });
    expect(await typed('0,1')).toMatchObject({ status: 422, body: { error: 'under-min' } });
    expect(await typed('10000')).toMatchObject({ status: 422, body: { error: 'over-max' } });
    expect((await typed('0,2')).status).toBe(201);
    expect((await kiosk('POST', `/api/v1/kiosk/bons/${bon.bonId}/close`, {})).status).toBe(200);
  });
});
