import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign } from '@fastify/cookie';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsersFile } from '../../dashboards/auth/users-file.js';
import { dashboardsConfigSchema } from '../../dashboards/config.js';
import { startDashboards, type RunningDashboards } from '../../dashboards/server.js';
import { rawRequest } from '../helpers/http.js';

const CLI = join(import.meta.dirname, '../../dist/cli/trebuchet.js');
const PUBLIC_API = ['/api/v1/login', '/api/v1/login-state'];
const CHEF = { name: 'chef', password: 'le-mot-de-passe-du-chef' };
const BENEVOLE = { name: 'benevole', password: 'le-mot-de-passe-benevole' };

interface Answer {
  status: number;
  /** Each test checks the shape it expects. */
  body: any;
  setCookie: string[];
}

/**
 * Sign-ins are limited per address: each test signs in from its own loopback address (all of 127/8 is
 * local), so that only the rate-limit test meets the limit.
 */
let nextAddress = 2;
const freshAddress = () => `127.0.0.${nextAddress++}`;

let dir: string;
let usersFile: string;
let dashboards: RunningDashboards;
const logs: { level: number; msg: string; command?: string; err?: string }[] = [];

async function call(method: string, path: string, opts: { body?: unknown; cookie?: string; from?: string } = {}): Promise<Answer> {
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers = { ...(payload ? { 'content-type': 'application/json' } : {}), ...(opts.cookie ? { cookie: opts.cookie } : {}) };
  const answer = await rawRequest(dashboards.url, method, path, { headers, ...(payload ? { body: payload } : {}), ...(opts.from ? { from: opts.from } : {}) });
  return { status: answer.status, body: answer.body, setCookie: answer.headers['set-cookie'] ?? [] };
}

async function signIn(user: { name: string; password: string }): Promise<string> {
  const res = await call('POST', '/api/v1/login', { body: user, from: freshAddress() });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.setCookie.find((c) => c.startsWith('tb_session='))!.split(';')[0]!;
}

function cli(args: string[], password?: string) {
  return spawnSync(process.execPath, [CLI, 'user', ...args, '--users-file', usersFile, ...(password === undefined ? [] : ['--password-stdin'])], {
    input: password === undefined ? '' : `${password}\n`,
    encoding: 'utf8',
    timeout: 30_000,
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tb-auth-'));
  usersFile = join(dir, 'dashboards', 'users.json');
  const config = dashboardsConfigSchema.parse({
    http: { host: '127.0.0.1', port: 0 },
    // Nothing listens there: the API answers 401 before it would touch InfluxDB or the broker.
    mqtt: { url: 'mqtt://127.0.0.1:9', username: 'dashboards', password: 'unused' },
    influx: { url: 'http://127.0.0.1:9' },
    usersFile,
  });
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  dashboards = await startDashboards(config, log);
});

afterAll(async () => {
  await dashboards?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('dashboards sign-in', () => {
  it('with no account yet, warns once with the command to create the first admin, and the login state says so', async () => {
    const warning = logs.find((l) => l.level === 40 && l.msg.includes('aucun compte'));
    expect(warning?.command).toBe(`node dist/cli/trebuchet.js user add <nom> --role admin --users-file ${usersFile}`);
    expect(warning?.msg).toContain('no account yet');
    const state = await call('GET', '/api/v1/login-state');
    expect(state).toMatchObject({ status: 200, body: { accounts: false, firstAdminCommand: warning?.command } });
    // No default account of any kind.
    for (const name of ['admin', 'trebuchet', 'root']) {
      expect((await call('POST', '/api/v1/login', { body: { name, password: name }, from: freshAddress() })).status).toBe(401);
    }

    await new UsersFile(usersFile).add(CHEF.name, 'admin', CHEF.password);
    await new UsersFile(usersFile).add(BENEVOLE.name, 'viewer', BENEVOLE.password);
    expect((await call('GET', '/api/v1/login-state')).body).toEqual({ accounts: true });
  });

  it('refuses an anonymous caller on every /api/ route but the login, with a JSON 401', async () => {
    const api = dashboards.routes.filter((r) => r.url.startsWith('/api/') && !PUBLIC_API.includes(r.url));
    // Taken from the server itself, so that a route added later is covered without touching this test.
    expect(api.map((r) => `${r.method} ${r.url}`)).toEqual(
      expect.arrayContaining(['GET /api/v1/me', 'POST /api/v1/logout', 'GET /api/v1/users', 'POST /api/v1/users', 'DELETE /api/v1/users/:name', 'GET /api/v1/live', 'GET /api/v1/site']),
    );
    for (const route of api) {
      const path = route.url.replace(/:\w+/g, 'x');
      const res = await call(route.method, path, route.method === 'POST' ? { body: {} } : {});
      expect(res.status, `${route.method} ${route.url}`).toBe(401);
      if (route.method !== 'HEAD') expect(res.body, `${route.method} ${route.url}`).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.any(String) });
    }
    // Nor does an unknown /api/ path tell it does not exist, nor does an encoded spelling slip past.
    expect((await call('GET', '/api/v1/nothing-here')).status).toBe(401);
    expect((await call('GET', '/%61pi/v1/me')).status).not.toBe(200);
    expect((await call('GET', '/api/v1/%75sers')).status).toBe(401);
  });

  it('refuses a forged, tampered or foreign cookie', async () => {
    const cookie = await signIn(BENEVOLE);
    const value = cookie.slice('tb_session='.length);
    const [payload, signature] = [value.slice(0, value.lastIndexOf('.')), value.slice(value.lastIndexOf('.') + 1)];
    const asAdmin = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), r: 'admin' })).toString('base64url');
    for (const forged of [`tb_session=${asAdmin}.${signature}`, `tb_session=${payload}`, `tb_session=${payload}.${'A'.repeat(signature.length)}`, 'tb_session=x']) {
      expect((await call('GET', '/api/v1/me', { cookie: forged })).status, forged).toBe(401);
    }
    // Signed with the server's own secret but past its end: refused too.
    const secret = Buffer.from(readFileSync(join(dir, 'dashboards', 'session-secret'), 'utf8').trim(), 'base64');
    const expired = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), e: Date.now() - 1000 })).toString('base64url');
    expect((await call('GET', '/api/v1/me', { cookie: `tb_session=${sign(expired, secret)}` })).status).toBe(401);
    expect((await call('GET', '/api/v1/me', { cookie })).status).toBe(200);
  });

  it('keeps the page public: it shows the login form', async () => {
    const page = await call('GET', '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('data-testid="login-screen"');
  });

  it('signs in with the right password, sets an HttpOnly SameSite=Strict cookie, and signs out', async () => {
    const res = await call('POST', '/api/v1/login', { body: CHEF, from: freshAddress() });
    expect(res).toMatchObject({ status: 200, body: { name: 'chef', role: 'admin' } });
    const setCookie = res.setCookie.find((c) => c.startsWith('tb_session='))!;
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Strict/);
    expect(setCookie).toMatch(/; Path=\//);
    expect(setCookie).toMatch(/; Max-Age=604800/);
    const cookie = setCookie.split(';')[0]!;

    expect(await call('GET', '/api/v1/me', { cookie })).toMatchObject({ status: 200, body: { name: 'chef', role: 'admin' } });
    // The live stream is an /api/ route like the others: with the session it opens (then the test hangs up).
    const live = await new Promise<number>((resolve, reject) => {
      const url = new URL(dashboards.url);
      const req = request({ host: url.hostname, port: url.port, path: '/api/v1/live', headers: { cookie }, agent: false }, (r) => {
        resolve(r.statusCode!);
        req.destroy();
      });
      req.on('error', reject);
      req.end();
    });
    expect(live).toBe(200);

    const out = await call('POST', '/api/v1/logout', { body: {}, cookie });
    expect(out.status).toBe(204);
    expect(out.setCookie.find((c) => c.startsWith('tb_session='))).toMatch(/tb_session=;.*Expires=Thu, 01 Jan 1970/);
  });

  it('signs in whatever the case of the name a phone capitalised', async () => {
    expect((await call('POST', '/api/v1/login', { body: { name: ' Chef', password: CHEF.password }, from: freshAddress() })).status).toBe(200);
  });

  it('refuses a wrong password and an unknown name with the same generic 401, and a malformed body with a 400 naming the field', async () => {
    const from = freshAddress();
    const wrong = await call('POST', '/api/v1/login', { body: { name: 'chef', password: 'pas le bon mot de passe' }, from });
    const unknown = await call('POST', '/api/v1/login', { body: { name: 'personne', password: 'pas le bon mot de passe' }, from });
    expect(wrong).toMatchObject({ status: 401, body: { statusCode: 401, error: 'Unauthorized', message: 'Nom ou mot de passe incorrect. / Wrong name or password.' } });
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.setCookie).toEqual([]);

    const malformed = await call('POST', '/api/v1/login', { body: { name: 'chef' }, from });
    expect(malformed).toMatchObject({ status: 400, body: { statusCode: 400, error: 'Bad Request', fields: ['password'] } });
    expect(malformed.body.message).toContain('password');
  });

  it('limits sign-in attempts per address: the eleventh within a minute gets a 429 that says so', async () => {
    const from = freshAddress();
    for (let i = 0; i < 10; i++) {
      expect((await call('POST', '/api/v1/login', { body: { name: 'chef', password: `essai numéro ${i}` }, from })).status).toBe(401);
    }
    const limited = await call('POST', '/api/v1/login', { body: CHEF, from });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    expect(limited.body.message).toMatch(/Trop de tentatives de connexion : réessayez dans .+ \/ Too many sign-in attempts/);
    // Another address is not held back by this one.
    expect((await call('POST', '/api/v1/login', { body: CHEF, from: freshAddress() })).status).toBe(200);
  });

  it('gives a viewer the figures but not the accounts (403)', async () => {
    const cookie = await signIn(BENEVOLE);
    expect(await call('GET', '/api/v1/me', { cookie })).toMatchObject({ status: 200, body: { name: 'benevole', role: 'viewer' } });
    expect((await call('GET', '/api/v1/site', { cookie })).status).toBe(200);
    for (const [method, path, body] of [
      ['GET', '/api/v1/users', undefined],
      ['POST', '/api/v1/users', { name: 'pirate', role: 'admin', password: 'un mot de passe long' }],
      ['DELETE', '/api/v1/users/chef', undefined],
    ] as const) {
      const res = await call(method, path, { cookie, body });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
    }
    expect(new UsersFile(usersFile).find('pirate')).toBeUndefined();
  });

  it('lets an admin list, create and remove accounts; a removed account loses its session at once', async () => {
    const cookie = await signIn(CHEF);
    const list = await call('GET', '/api/v1/users', { cookie });
    expect(list.status).toBe(200);
    expect(list.body.users).toEqual([
      { name: 'chef', role: 'admin', createdAt: expect.any(String) },
      { name: 'benevole', role: 'viewer', createdAt: expect.any(String) },
    ]);
    expect(JSON.stringify(list.body)).not.toContain('scrypt');

    const created = await call('POST', '/api/v1/users', { cookie, body: { name: 'lea', role: 'viewer', password: 'le mot de passe de léa' } });
    expect(created).toMatchObject({ status: 201, body: { name: 'lea', role: 'viewer' } });
    expect((await call('POST', '/api/v1/users', { cookie, body: { name: 'lea', role: 'admin', password: 'un autre mot de passe' } })).status).toBe(409);
    const short = await call('POST', '/api/v1/users', { cookie, body: { name: 'tom', role: 'viewer', password: 'court' } });
    expect(short).toMatchObject({ status: 400, body: { fields: ['password'] } });
    expect(short.body.message).toContain('at least 10 characters');
    expect((await call('POST', '/api/v1/users', { cookie, body: { name: 'Tom Pouce', role: 'viewer', password: 'un mot de passe long' } })).body.fields).toEqual(['name']);
    expect((await call('POST', '/api/v1/users', { cookie, body: { name: 'tom', role: 'root', password: 'un mot de passe long' } })).body.fields).toEqual(['role']);

    const lea = await signIn({ name: 'lea', password: 'le mot de passe de léa' });
    expect((await call('GET', '/api/v1/me', { cookie: lea })).status).toBe(200);
    expect((await call('DELETE', '/api/v1/users/lea', { cookie })).status).toBe(204);
    expect((await call('GET', '/api/v1/me', { cookie: lea })).status).toBe(401);
    expect((await call('DELETE', '/api/v1/users/lea', { cookie })).status).toBe(404);

    const self = await call('DELETE', '/api/v1/users/chef', { cookie });
    expect(self.status).toBe(409);
    expect(self.body.message).toContain('your own account');
  });

  describe('with the trebuchet user command (built CLI, a child process)', () => {
    beforeAll(() => {
      if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
    });

    it('adds, lists, changes a password and removes; the running server sees each change at once', async () => {
      const added = cli(['add', 'marc', '--role', 'admin'], 'le mot de passe de marc');
      expect(added.status, added.stderr).toBe(0);
      expect(added.stdout).toContain('Compte « marc » créé (admin)');
      const listed = cli(['list']);
      expect(listed.status).toBe(0);
      expect(listed.stdout).toMatch(/^chef +admin +\d{4}-/m);
      expect(listed.stdout).toMatch(/^marc +admin +\d{4}-/m);
      expect(statSync(usersFile).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'dashboards', 'session-secret')).mode & 0o777).toBe(0o600);

      const before = await signIn({ name: 'marc', password: 'le mot de passe de marc' });
      const passwd = cli(['passwd', 'marc'], 'un nouveau mot de passe');
      expect(passwd.status, passwd.stderr).toBe(0);
      // The session opened with the old password is over, without a restart.
      expect((await call('GET', '/api/v1/me', { cookie: before })).status).toBe(401);
      expect((await call('POST', '/api/v1/login', { body: { name: 'marc', password: 'le mot de passe de marc' }, from: freshAddress() })).status).toBe(401);
      const after = await signIn({ name: 'marc', password: 'un nouveau mot de passe' });
      expect((await call('GET', '/api/v1/me', { cookie: after })).status).toBe(200);

      // A live stream opened with that session is cut too, not only the requests that follow.
      const url = new URL(dashboards.url);
      const stream = await new Promise<{ ended: Promise<number> }>((opened, reject) => {
        const req = request({ host: url.hostname, port: url.port, path: '/api/v1/live', headers: { cookie: after }, agent: false }, (res) => {
          expect(res.statusCode).toBe(200);
          const t0 = Date.now();
          res.on('error', () => undefined); // the cut itself
          opened({ ended: new Promise((ended) => res.on('close', () => ended(Date.now() - t0))) });
          res.resume();
        });
        req.on('error', reject);
        req.end();
      });

      const removed = cli(['remove', 'marc']);
      expect(removed.status, removed.stderr).toBe(0);
      expect((await call('GET', '/api/v1/me', { cookie: after })).status).toBe(401);
      expect(await stream.ended).toBeLessThan(8_000);
      expect(cli(['list']).stdout).not.toContain('marc');
    });

    it('refuses bad input with exit code 2 and a clear message', () => {
      const short = cli(['add', 'zoe', '--role', 'viewer'], 'court');
      expect(short.status).toBe(2);
      expect(short.stderr).toContain('at least 10 characters');
      expect(cli(['add', 'Zoé', '--role', 'viewer'], 'un mot de passe long').status).toBe(2);
      expect(cli(['add', 'zoe', '--role', 'boss'], 'un mot de passe long').status).toBe(2);
      const exists = cli(['add', 'chef', '--role', 'viewer'], 'un mot de passe long');
      expect(exists.status).toBe(2);
      expect(exists.stderr).toContain('already exists');
      expect(cli(['passwd', 'personne'], 'un mot de passe long').status).toBe(2);
      expect(cli(['remove', 'personne']).status).toBe(2);
      // No terminal and no --password-stdin: it says how to give the password instead of waiting.
      const noTty = cli(['add', 'zoe', '--role', 'viewer']);
      expect(noTty.status).toBe(2);
      expect(noTty.stderr).toContain('--password-stdin');
      expect(cli(['list']).stdout).not.toContain('zoe');
    });

    it('finds the users file through a dashboards config', () => {
      const config = join(dir, 'dashboards.yaml');
      writeFileSync(config, `usersFile: ${usersFile}\n`);
      const listed = spawnSync(process.execPath, [CLI, 'user', 'list', '-c', config], { encoding: 'utf8' });
      expect(listed.status, listed.stderr).toBe(0);
      expect(listed.stdout).toMatch(/^chef +admin/m);
      writeFileSync(config, 'usersFiles: nope\n');
      const bad = spawnSync(process.execPath, [CLI, 'user', 'list', '-c', config], { encoding: 'utf8' });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain('neither a dashboards nor an up configuration');
      expect(bad.stderr).toContain('unknown key "usersFiles"');
    });
  });

  it('lets nobody in while the users file is not valid, and says which file in the log', async () => {
    const cookie = await signIn(CHEF);
    const good = new UsersFile(usersFile).list();
    writeFileSync(usersFile, '{ "v": 1, "users": [ oops');
    try {
      expect((await call('GET', '/api/v1/me', { cookie })).status).toBe(401);
      const login = await call('POST', '/api/v1/login', { body: CHEF, from: freshAddress() });
      expect(login.status).toBe(503);
      expect(login.body.message).toContain('see its log');
      expect(logs.some((l) => l.level === 50 && l.err?.startsWith(`${usersFile}: cannot be read as JSON`))).toBe(true);
    } finally {
      writeFileSync(usersFile, JSON.stringify({ v: 1, users: good }), { mode: 0o600 });
    }
    expect((await call('GET', '/api/v1/me', { cookie })).status).toBe(200);
  });
});
