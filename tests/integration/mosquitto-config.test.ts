import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerConfigSchema, type BrokerConfig } from '../../broker/config.js';
import { configuredUsers, credentialsPaths, ensureUsers } from '../../broker/credentials.js';
import type { MosquittoConfigResult } from '../../broker/mosquitto/write-config.js';
import { agentTopic, agentUsername, deviceTopic } from '../../protocol/index.js';
import { readCredentials } from '../../runtime/credentials-file.js';
import { ACL_AGENT, ACL_AGENTS, ACL_CASES, ACL_EXTRA_USERS, ACL_OTHER_AGENT, ACL_SITE, ACL_WATCHER, checkAclCase } from '../helpers/acl-cases.js';
import { startTestMosquitto, writeTestMosquittoConfig, type TestMosquitto } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

/**
 * `trebuchet broker mosquitto-config`'s files on a real Mosquitto: the embedded broker's users and ACL cases on
 * every listener (plain, TLS, WebSocket over TLS), certificates made here with openssl (a CA and a leaf for 127.0.0.1).
 */
function makeCertificates(dir: string) {
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run(['req', '-x509', ...ec, '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=trebuchet test CA']);
  run(['req', ...ec, '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  writeFileSync(join(dir, 'ext'), 'subjectAltName=IP:127.0.0.1\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext']);
  return { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server-key.pem') };
}

describe('Mosquitto configured by trebuchet broker mosquitto-config', () => {
  let dir: string;
  let config: BrokerConfig;
  let result: MosquittoConfigResult;
  let mosquitto: TestMosquitto;
  let ca: Buffer;
  let urls: { plain: string; tls: string; wss: string };
  const password = (user: string) => readCredentials(credentialsPaths(config.dataDir).credentials)!.mqtt[user]!.password;
  const usersFile = () => credentialsPaths(config.dataDir).users;
  const editUsers = (edit: (users: Record<string, Record<string, unknown>>) => void) => {
    const file = JSON.parse(readFileSync(usersFile(), 'utf8')) as { users: Record<string, Record<string, unknown>> };
    edit(file.users);
    writeFileSync(usersFile(), JSON.stringify(file));
  };
  const connect = (url: string, user: string, options: mqtt.IClientOptions = {}) =>
    mqtt.connectAsync(url, { username: user, password: password(user), ca, clientId: `${user}:${randomUUID().slice(0, 8)}`, reconnectPeriod: 0, connectTimeout: 10_000, ...options });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tb-mosquitto-'));
    const certificates = makeCertificates(dir);
    ca = readFileSync(certificates.caFile);
    const [plain, tls, https] = [await freePort(), await freePort(), await freePort()];
    urls = { plain: `mqtt://127.0.0.1:${plain}`, tls: `mqtts://127.0.0.1:${tls}`, wss: `wss://127.0.0.1:${https}/mqtt` };
    config = brokerConfigSchema.parse({
      listen: { port: plain },
      tls: { host: '127.0.0.1', port: tls },
      https: { host: '127.0.0.1', port: https },
      certificates,
      dataDir: join(dir, 'data'),
      agents: ACL_AGENTS,
    });
    ensureUsers(config.dataDir, [...configuredUsers(config), ...ACL_EXTRA_USERS]);
    editUsers((users) => {
      // Ingest made before Mosquitto hashes were stored: its password is in credentials.json, so it is computed.
      delete users.ingest!.mosquitto;
      // An agent enrolled before them: its password is only on its Pi.
      users['agent.bercy.vieux'] = { ...users[agentUsername(ACL_SITE, ACL_AGENT)]!, site: 'bercy', agent: 'vieux', mosquitto: undefined };
    });
    result = await writeTestMosquittoConfig(config, join(dir, 'mosquitto'));
    mosquitto = await startTestMosquitto(result.files.conf, [plain, tls, https]);
  });
  afterAll(async () => mosquitto?.stop());

  it('writes private files in a private folder, and names the users it could not write', () => {
    expect(statSync(result.files.dir).mode & 0o777).toBe(0o700);
    for (const f of [result.files.passwd, result.files.acl]) expect(statSync(f).mode & 0o777, f).toBe(0o600);
    expect(result.lacking).toEqual([{ username: 'agent.bercy.vieux', role: 'agent' }]);
    expect(result.written).toContain('ingest');
    expect(result.missingTlsFiles).toEqual([]);
  });

  it('refuses anonymous clients and wrong passwords', async () => {
    await expect(mqtt.connectAsync(urls.plain, { reconnectPeriod: 0 })).rejects.toThrow(/Not authorized|Bad username or password/i);
    await expect(connect(urls.plain, 'ingest', { password: 'guess' })).rejects.toThrow(/Not authorized|Bad username or password/i);
    // The computed hash works: ingest gets in with its own password.
    await (await connect(urls.plain, 'ingest')).endAsync();
  });

  for (const listener of ['plain', 'wss'] as const) {
    describe(`the embedded broker's ACL cases, over ${listener}`, () => {
      let watcher: mqtt.MqttClient;
      beforeAll(async () => {
        watcher = await connect(urls[listener], ACL_WATCHER);
        await watcher.subscribeAsync('tb/v1/#', { qos: 1 });
      });
      afterAll(async () => watcher?.endAsync());
      for (const c of ACL_CASES) it(`${c.name}: ${c.allowed ? 'allowed' : 'refused'}`, () => checkAclCase(c, (user) => connect(urls[listener], user), watcher));
    });
  }

  it('lets only its own agent receive its receipts', async () => {
    const own = await connect(urls.tls, agentUsername(ACL_SITE, ACL_AGENT));
    const other = await connect(urls.tls, agentUsername(ACL_SITE, ACL_OTHER_AGENT));
    const got: Record<string, string[]> = { own: [], other: [] };
    own.on('message', (t) => got.own!.push(t));
    other.on('message', (t) => got.other!.push(t));
    await own.subscribeAsync(agentTopic(ACL_SITE, ACL_AGENT, 'receipt'), { qos: 1 });
    await other.subscribeAsync(agentTopic(ACL_SITE, ACL_OTHER_AGENT, 'receipt'), { qos: 1 });
    const ingest = await connect(urls.tls, 'ingest');
    await ingest.publishAsync(agentTopic(ACL_SITE, ACL_AGENT, 'receipt'), '{}', { qos: 1 });
    await ingest.publishAsync(agentTopic(ACL_SITE, ACL_OTHER_AGENT, 'receipt'), '{}', { qos: 1 });
    await waitFor('both receipts', () => got.own!.length && got.other!.length);
    expect(got).toEqual({ own: [agentTopic(ACL_SITE, ACL_AGENT, 'receipt')], other: [agentTopic(ACL_SITE, ACL_OTHER_AGENT, 'receipt')] });
    await Promise.all([own.endAsync(), other.endAsync(), ingest.endAsync()]);
  });

  it('accepts TLS clients that trust the CA, and refuses those that do not', async () => {
    await (await connect(urls.tls, agentUsername(ACL_SITE, ACL_AGENT))).endAsync();
    await expect(connect(urls.tls, agentUsername(ACL_SITE, ACL_AGENT), { ca: undefined })).rejects.toThrow(/unable to verify|self[- ]signed/i);
    await expect(connect(urls.wss, agentUsername(ACL_SITE, ACL_AGENT), { ca: undefined })).rejects.toThrow(/unable to verify|self[- ]signed/i);
  });

  it('cuts a revoked agent off once the files are written again and Mosquitto reloaded', async () => {
    const user = agentUsername(ACL_SITE, ACL_OTHER_AGENT);
    const pi = await connect(urls.tls, user);
    const closed = new Promise<void>((r) => pi.once('close', () => r()));
    editUsers((users) => (users[user]!.revokedAt = new Date().toISOString()));
    const again = await writeTestMosquittoConfig(config, join(dir, 'mosquitto'));
    expect(again.revoked).toEqual([user]);
    expect(readFileSync(again.files.passwd, 'utf8')).not.toContain(user);
    expect(readFileSync(again.files.acl, 'utf8')).not.toContain(user);
    mosquitto.reload();
    await closed;
    await expect(connect(urls.tls, user)).rejects.toThrow(/Not authorized|Bad username or password/i);
    // The others stay in.
    await (await connect(urls.tls, agentUsername(ACL_SITE, ACL_AGENT))).publishAsync(deviceTopic(ACL_SITE, ACL_AGENT, 'balance-1', 'live'), '{}', { qos: 1 });
  });
});

describe('trebuchet broker mosquitto-config', () => {
  const CLI = join(import.meta.dirname, '../../dist/cli/trebuchet.js');
  const run = (args: string[]) => spawnSync(process.execPath, [CLI, 'broker', 'mosquitto-config', ...args], { encoding: 'utf8', timeout: 30_000 });
  let dir: string;
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
    dir = mkdtempSync(join(tmpdir(), 'tb-mosquitto-cli-'));
  });

  it('writes the files from the broker config given with -c, and says what to run next', () => {
    const file = join(dir, 'broker.yaml');
    writeFileSync(file, `dataDir: ${join(dir, 'data')}\nagents: [{ site: lilas, agent: comptoir }]\n`);
    const out = join(dir, 'mosquitto');
    const r = run(['-c', file, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(out, 'acl'), 'utf8')).toContain('user agent.lilas.comptoir\n');
    expect(readFileSync(join(out, 'passwd'), 'utf8')).toMatch(/^agent\.lilas\.comptoir:\$7\$101\$/);
    expect(r.stdout).toContain(`chown -R mosquitto:mosquitto ${out}`);
    expect(r.stdout).toContain('systemctl reload mosquitto');
    expect(r.stdout).toMatch(/After every `trebuchet agent revoke`.*run this command again/);
  });

  it('names the users Mosquitto will refuse and the fix, and exits 1', () => {
    const file = join(dir, 'broker.yaml');
    const users = join(dir, 'data', 'broker', 'users.json');
    const content = JSON.parse(readFileSync(users, 'utf8')) as { users: Record<string, object> };
    content.users['agent.lilas.ancien'] = { role: 'agent', salt: '', hash: '', site: 'lilas', agent: 'ancien' };
    writeFileSync(users, JSON.stringify(content));
    const r = run(['-c', file, '--out', join(dir, 'mosquitto')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/Mosquitto will refuse agent\.lilas\.ancien/);
    expect(r.stdout).toMatch(/re-enrol each agent .* or remove it from .*users\.json and .*credentials\.json/);
  });

  it('refuses a bad broker config, naming the key, and writes nothing', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'tsl: { port: 8883 }\n');
    const r = run(['-c', file, '--out', join(dir, 'never')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown key "tsl"');
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});
