import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { Client } from 'aedes';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueServerCertificate } from '../../broker/tls/certificate-authority.js';
import { generatedTlsPaths } from '../../broker/tls/paths.js';
import { agentIdentitySchema, agentTopic, agentUsername, caPin } from '../../protocol/index.js';
import { certificateSha256 } from '../../runtime/certificate-fingerprint.js';
import { createInflux } from '../../runtime/influx-client.js';
import { connectMqtt } from '../../runtime/mqtt-client.js';
import { readCredentials } from '../../runtime/credentials-file.js';
import { createPiNamespace, finished, netnsUnavailable, type PiNamespace } from '../helpers/netns.js';
import { freePort } from '../helpers/ports.js';
import { startTestStack, type TestStack } from '../helpers/up-stack.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Issue 14's field: the server here, the shop's Pi in a network namespace of its own, reached over a veth
 * pair (a real interface, not loopback). The Pi is enrolled with the real CLI (`agent enroll` on the server,
 * `agent join` in the namespace), runs the real agent there, and what it weighs lands in InfluxDB; outside
 * clients (openssl, mosquitto_pub) try what an attacker or a misconfigured Pi would.
 */
const CLI = join(import.meta.dirname, '../../dist/cli/trebuchet.js');
const SITE = 'lilas';
const PI = 'pi-comptoir';
const unavailable = netnsUnavailable();

/** The CLI on the server, without blocking this process, where the server runs. */
const cli = (args: string[]) => finished(spawn(process.execPath, [CLI, ...args], { timeout: 60_000 }));
const codeIn = (text: string) => /[0-9A-Z]{4}(?:-[0-9A-Z]{4}){6}/.exec(text)?.[0];

describe.skipIf(unavailable)(`a Pi across a real network interface${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let ns: PiNamespace;
  let stack: TestStack;
  let dir: string;
  let upYaml: string;
  let tlsPort: number;
  let httpsPort: number;
  let piHttp: string;
  let piAgent: ChildProcess | undefined;
  let piConfig: string;
  /** The Pi's agent's log lines (JSON): what its operator would read in journalctl. */
  const piLog: string[] = [];
  let code: string;
  const piUser = agentUsername(SITE, PI);

  const connectedClient = (username: string) =>
    Object.values((stack.broker().aedes as unknown as { clients: Record<string, Client> }).clients).find((c) => c.id === username && c.connected);
  const remoteAddress = (c: Client) => (c.conn as unknown as { remoteAddress?: string }).remoteAddress;
  const postWeighing = async (netKg: number) => {
    const res = await fetch(`${piHttp}/api/v1/weighings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ device: 'balance-1', netKg, category: 'textile' }) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };
  const storedIds = async () => (await createInflux(stack.influx).query<{ event_id: string }>(`SELECT event_id, net_kg FROM weighing WHERE agent = '${PI}'`)).map((r) => r.event_id);
  const servedSerial = (port: number) =>
    new Promise<string>((resolve, reject) => {
      const s = tlsConnect({ host: ns.serverIp, port, rejectUnauthorized: false }, () => {
        resolve(s.getPeerCertificate().serialNumber);
        s.end();
      }).on('error', reject);
    });

  beforeAll(async () => {
    ns = createPiNamespace();
    dir = mkdtempSync(join(tmpdir(), 'tb-field-'));
    tlsPort = await freePort();
    httpsPort = await freePort();
    const broker = {
      tls: { host: ns.serverIp, port: tlsPort },
      https: { host: ns.serverIp, port: httpsPort },
      certificates: { names: [ns.serverIp] },
    };
    stack = await startTestStack({ site: { id: SITE, name: 'Lilas', timeZone: 'Europe/Paris' }, broker }, { attendant: false });
    // What the operator's /etc/trebuchet/up.yaml says, for the CLI on the server.
    upYaml = join(dir, 'up.yaml');
    writeFileSync(upYaml, `dataDir: ${stack.dataDir}\nsite: { id: ${SITE} }\nbroker:\n  port: 1883\n  tls: { host: ${ns.serverIp}, port: ${tlsPort} }\n  https: { host: ${ns.serverIp}, port: ${httpsPort} }\n  certificates: { names: [${ns.serverIp}] }\n`);
    piConfig = join(dir, 'pi', 'agent.yaml');
  }, 120_000);

  afterAll(async () => {
    piAgent?.kill('SIGKILL');
    await stack?.stop();
    ns?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('enrols the Pi with a one-time code, and what it weighs is stored', async () => {
    const enrolled = await cli(['agent', 'enroll', '--site', SITE, '--agent', PI, '-c', upYaml, '--bundle', join(dir, 'bundle.json')]);
    expect(enrolled.status, enrolled.stderr).toBe(0);
    code = codeIn(enrolled.stdout)!;
    expect(code, enrolled.stdout).toBeDefined();
    expect(enrolled.stdout).toContain(`--server https://${ns.serverIp}:${httpsPort}`);

    // The join, from the Pi's namespace: the code pins the server's CA, the MQTT link is tried before it is written.
    const joined = await ns.run(process.execPath, [CLI, 'agent', 'join', code, '--server', `https://${ns.serverIp}:${httpsPort}`, '-c', piConfig, '--data-dir', join(dir, 'pi', 'data'), '--no-start']);
    expect(joined.status, joined.stderr).toBe(0);
    expect(joined.stdout).toContain(`connecté / connected (mqtts://${ns.serverIp}:${tlsPort})`);
    const written = readFileSync(piConfig, 'utf8');
    expect(written).toContain(`url: mqtts://${ns.serverIp}:${tlsPort}`);
    expect(readFileSync(join(dir, 'pi', 'data', 'identity', 'ca.pem'), 'utf8')).toBe(readFileSync(generatedTlsPaths(stack.dataDir).caCert, 'utf8'));

    // The operator adds the counter's scale (here one nobody answers for: the weighings are typed) and the kiosk's address.
    const port = await freePort();
    piHttp = `http://${ns.piIp}:${port}`;
    appendFileSync(piConfig, `http: { host: ${ns.piIp}, port: ${port} }\n`);
    writeFileSync(piConfig, readFileSync(piConfig, 'utf8').replace('devices: []', 'devices:\n  - { id: balance-1, type: scale, driver: stgs, transport: { type: tcp, host: 127.0.0.1, port: 9 } }'));
    piAgent = ns.start(process.execPath, [CLI, 'agent', '-c', piConfig], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TREBUCHET_LOG_FORMAT: 'json' } });
    piAgent.stdout!.setEncoding('utf8').on('data', (d: string) => piLog.push(...d.split('\n').filter(Boolean)));

    const client = await waitFor('the Pi connected to the broker', () => connectedClient(piUser), 30_000);
    expect(remoteAddress(client)).toMatch(new RegExp(`${ns.piIp.replace(/\./g, '\\.')}$`));
    await waitFor("the Pi's API", () => fetch(`${piHttp}/api/v1/devices`).then((r) => r.ok, () => false), 30_000);
    const id = await postWeighing(7.25);
    await waitFor('the weighing stored in InfluxDB', async () => (await storedIds()).includes(id), 30_000);
  });

  it('refuses a code a second time, and says so', async () => {
    const again = await ns.run(process.execPath, [CLI, 'agent', 'join', code, '--server', `https://${ns.serverIp}:${httpsPort}`, '-c', join(dir, 'other.yaml'), '--data-dir', join(dir, 'other'), '--no-start']);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/code already used on/);
  });

  it('never hands a code to a server that does not show the CA the code pins (someone in between)', async () => {
    const enrolled = await cli(['agent', 'enroll', '--site', SITE, '--agent', 'pi-mitm', '-c', upYaml, '--bundle', join(dir, 'mitm-bundle.json')]);
    const real = codeIn(enrolled.stdout)!;
    // The same secret with another CA's fingerprint: what a Pi holds when the server it reaches is not the one
    // that made the code (here the real one, which shows its own CA).
    const other = await createCertificateAuthority('Someone in between', 30);
    const forged = `${real.slice(0, 14)}${caPin(certificateSha256(new X509Certificate(other.certPem))).match(/.{4}/g)!.join('-')}`;
    const args = (c: string) => ['agent', 'join', c, '--server', `https://${ns.serverIp}:${httpsPort}`, '-c', join(dir, 'mitm.yaml'), '--data-dir', join(dir, 'mitm'), '--no-start'];
    const refused = await ns.run(process.execPath, [CLI, ...args(forged)]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/does not show the certificate authority the code pins/);
    // The secret never left the Pi: the real code still works.
    const joined = await ns.run(process.execPath, [CLI, ...args(real)]);
    expect(joined.status, joined.stderr).toBe(0);
  });

  it('refuses a plaintext client, a wrong CA and an expired certificate', async () => {
    const ca = generatedTlsPaths(stack.dataDir).caCert;
    // The Pi's own credentials, as its join wrote them (the bundle's password was replaced by that join).
    const creds = readCredentials(join(dir, 'pi', 'data', 'identity', 'credentials.json'))!.mqtt[piUser]!;
    const pub = (args: string[]) => ns.run('mosquitto_pub', ['-h', ns.serverIp, '-p', String(tlsPort), '-u', creds.username, '-P', creds.password, '-i', `${creds.username}:pub`, '-t', agentTopic(SITE, PI, 'status'), '-m', '{}', ...args], { timeoutMs: 20_000 });
    // The CA file the Pi got: accepted (the control), so that the refusals below are the TLS ones.
    expect((await pub(['--cafile', ca])).status).toBe(0);
    // Plaintext MQTT to the TLS port, and the plain port (loopback only) unreachable from the Pi.
    expect((await pub([])).status).not.toBe(0);
    expect((await ns.run('mosquitto_pub', ['-h', ns.serverIp, '-p', String(stack.broker().port), '-t', 'x', '-m', 'x'], { timeoutMs: 20_000 })).status).not.toBe(0);
    // Another CA: the server is not the one the Pi trusts.
    const other = await createCertificateAuthority('Someone else', 30);
    writeFileSync(join(dir, 'other-ca.pem'), other.certPem);
    const wrongCa = await pub(['--cafile', join(dir, 'other-ca.pem')]);
    expect(wrongCa.status).not.toBe(0);
    expect(wrongCa.stderr).toMatch(/certificate verify failed|TLS|protocol error/i);
    const sClient = await ns.run('openssl', ['s_client', '-connect', `${ns.serverIp}:${tlsPort}`, '-CAfile', join(dir, 'other-ca.pem'), '-verify_return_error', '-brief'], { input: '', timeoutMs: 20_000 });
    expect(sClient.status).not.toBe(0);
    expect(sClient.stderr).toMatch(/verify error|unable to get local issuer certificate/);

    // A server showing an expired certificate of the right CA (an old server, or a stolen old key): refused.
    const caPair = { certPem: readFileSync(ca, 'utf8'), keyPem: readFileSync(generatedTlsPaths(stack.dataDir).caKey, 'utf8') };
    const now = Date.now();
    const expired = await issueServerCertificate(caPair, { names: [ns.serverIp], validityDays: 1, now: new Date(now - 10 * 86_400_000), notAfter: new Date(now - 86_400_000) });
    const stale: TlsServer = createTlsServer({ key: expired.keyPem, cert: expired.certPem });
    const stalePort = await freePort();
    await new Promise<void>((r) => stale.listen(stalePort, ns.serverIp, r));
    try {
      const old = await ns.run('openssl', ['s_client', '-connect', `${ns.serverIp}:${stalePort}`, '-CAfile', ca, '-verify_return_error', '-brief'], { input: '', timeoutMs: 20_000 });
      expect(old.status).not.toBe(0);
      expect(old.stderr).toMatch(/certificate has expired/);
      // The agent's own client, with the Pi's pinned CA.
      const agentClient = connectMqtt({ url: `mqtts://${ns.serverIp}:${stalePort}`, caFile: ca, username: creds.username, password: creds.password }, creds.username, { reconnectPeriod: 0 });
      const err = await new Promise<Error>((r) => agentClient.once('error', r));
      agentClient.end(true);
      expect(err.message).toMatch(/certificate has expired/);
    } finally {
      stale.close();
    }
  });

  it('carries MQTT over WebSocket (wss) under the same ACL', async () => {
    const bundle = join(dir, 'wss-bundle.json');
    const enrolled = await cli(['agent', 'enroll', '--site', SITE, '--agent', 'pi-wss', '-c', upYaml, '--host', ns.serverIp, '--bundle', bundle]);
    expect(enrolled.status, enrolled.stderr).toBe(0);
    const identity = agentIdentitySchema.parse(JSON.parse(readFileSync(bundle, 'utf8')));
    const wss = identity.urls.find((u) => u.startsWith('wss://'))!;
    expect(wss).toBe(`wss://${ns.serverIp}:${httpsPort}/mqtt`);
    const dashboards = readCredentials(stack.credentialsFile)!.mqtt['dashboards']!;
    const watcher = await mqtt.connectAsync(stack.brokerUrl, { ...dashboards, clientId: 'dashboards:wss-watch' });
    const seen: string[] = [];
    watcher.on('message', (topic) => seen.push(topic));
    await watcher.subscribeAsync('tb/v1/#', { qos: 1 });
    const client = await mqtt.connectAsync(wss, { username: identity.username, password: identity.password, clientId: identity.username, ca: identity.caPem, reconnectPeriod: 0 });
    try {
      // Another agent's prefix: refused, and aedes closes a client whose publish the ACL refuses…
      const forged = agentTopic(SITE, 'caisse', 'health');
      const closed = new Promise<void>((r) => client.once('close', () => r()));
      client.publish(forged, '{}', { qos: 1 });
      await closed;
      // …its own goes through.
      const again = await mqtt.connectAsync(wss, { username: identity.username, password: identity.password, clientId: identity.username, ca: identity.caPem, reconnectPeriod: 0 });
      const own = agentTopic(SITE, 'pi-wss', 'health');
      await again.publishAsync(own, '{}', { qos: 1 });
      await waitFor('its own message delivered', () => seen.includes(own));
      expect(seen).not.toContain(forged);
      await again.endAsync();
    } finally {
      client.end(true);
      await watcher.endAsync();
    }
  });

  it("keeps every weighing across the server certificate's renewal", async () => {
    const before = await servedSerial(tlsPort);
    const first = await postWeighing(3.5);
    await stack.broker().identity!.renew();
    const after = await servedSerial(tlsPort);
    expect(after).not.toBe(before);
    // The Pi's connection goes down (a Wi-Fi drop): it comes back under the new certificate.
    connectedClient(piUser)!.close();
    const second = await postWeighing(4.75);
    await waitFor('the Pi back', () => connectedClient(piUser), 30_000);
    await waitFor('both weighings stored', async () => {
      const ids = await storedIds();
      return ids.includes(first) && ids.includes(second);
    }, 30_000);
    const ids = await storedIds();
    expect(ids.filter((i) => i === first || i === second)).toHaveLength(2);
    expect(new X509Certificate(readFileSync(generatedTlsPaths(stack.dataDir).serverCert)).serialNumber.toLowerCase()).toBe(after.toLowerCase());
  });

  it('cuts a revoked Pi off within 2 s, and it cannot come back', async () => {
    const client = connectedClient(piUser)!;
    const closed = new Promise<number>((r) => client.conn.once('close', () => r(Date.now())));
    const revoked = await cli(['agent', 'revoke', `${SITE}/${PI}`, '-c', upYaml]);
    expect(revoked.status, revoked.stderr).toBe(0);
    // From the revocation written (users.json, by the CLI) to the Pi's connection closed by the running broker.
    const cutMs = (await closed) - statSync(join(stack.dataDir, 'broker', 'users.json')).mtimeMs;
    console.log(`revocation to connection closed: ${cutMs.toFixed(0)} ms`);
    expect(cutMs).toBeLessThan(2000);
    const listed = await cli(['agent', 'list', '-c', upYaml]);
    expect(listed.stdout).toMatch(new RegExp(`${SITE}/${PI}\\s+révoqué / revoked`));
    // It retries (a second after the cut), refused before any password check; what it weighs now stays on the Pi.
    const id = await postWeighing(1.5);
    // Its operator reads why, and the fix, in its log.
    await waitFor("the Pi's log saying it is refused", () => piLog.some((l) => /the broker refuses this agent's credentials/.test(l) && /Not authorized/.test(l)), 30_000);
    expect(connectedClient(piUser)).toBeUndefined();
    expect(await storedIds()).not.toContain(id);
  });

  it('limits join attempts per address, so that codes cannot be guessed', async () => {
    // From the Pi's address, which has joined twice already: at most 10 attempts a minute get an answer.
    const attempt = async () =>
      (await ns.run('curl', ['-sk', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'POST', '-H', 'content-type: application/json', '-d', '{"code":"AAAA-BBBB-CCCC"}', `https://${ns.serverIp}:${httpsPort}/enrolment/v1/join`])).stdout;
    const answers: string[] = [];
    for (let i = 0; i < 11; i++) answers.push(await attempt());
    const limited = answers.indexOf('429');
    expect(limited, answers.join(' ')).toBeGreaterThan(0);
    expect(answers.slice(0, limited).every((a) => a === '403'), answers.join(' ')).toBe(true);
  });
});
