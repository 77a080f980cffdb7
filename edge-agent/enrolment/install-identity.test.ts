import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { AgentIdentity } from '../../protocol/index.js';
import { loadConfig } from '../../runtime/config.js';
import { readCredentials } from '../../runtime/credentials-file.js';
import { agentConfigSchema } from '../config.js';
import { identityPaths, installIdentity } from './install-identity.js';

const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIQ\n-----END CERTIFICATE-----\n';
const URL = 'mqtts://trebuchet.example.org:8883';
const IDENTITY: AgentIdentity = {
  format: 'trebuchet-agent-identity/1',
  site: 'paris-11',
  agent: 'comptoir',
  username: 'agent.paris-11.comptoir',
  password: 'the-password-from-the-server',
  urls: [URL, 'wss://trebuchet.example.org:8443/mqtt'],
  caPem: CA_PEM,
  issuedAt: '2026-12-01T09:00:00.000Z',
};

const newDir = () => mkdtempSync(join(tmpdir(), 'tb-install-identity-'));
const modeOf = (path: string) => statSync(path).mode & 0o777;

const EXISTING = `# The counter's Pi. Keep this comment.
site: ma-ressourcerie
agent: ancien   # the old name
mqtt:
  url: mqtt://192.0.2.1:1883
  username: agent.ma-ressourcerie.ancien
  password: an-old-password-in-clear   # stale: the join gives a credentials file
  allowPlaintext: true
  caFile: /somewhere/old-ca.pem
# The scales.
devices:
  - id: balance-sol                 # floor scale behind a ser2net device server
    type: scale
    driver: stgs
    transport: { type: tcp, host: 192.0.2.10, port: 4001 }
    weighing: { capture: bon, maxKg: 300, minKg: 1, rearmBelowKg: 0.5 }
`;

describe('installing a joined identity', () => {
  it('writes a new config in block YAML that the agent loads, and its password 0600 beside its data', () => {
    const dir = newDir();
    const configFile = join(dir, 'agent.yaml');
    const dataDir = join(dir, 'data');
    expect(installIdentity(IDENTITY, configFile, URL, dataDir)).toEqual({ configFile, dataDir, url: URL });
    const paths = identityPaths(dataDir);
    const text = readFileSync(configFile, 'utf8');
    expect(text).not.toMatch(/[{}]/);
    expect(text).toContain(`mqtt:\n  url: ${URL}\n`);
    expect(text).toMatch(/^# Written by `trebuchet agent join`/);
    expect(text).not.toContain(IDENTITY.password);
    const config = loadConfig(agentConfigSchema, configFile);
    expect(config).toMatchObject({
      site: 'paris-11',
      agent: 'comptoir',
      dataDir,
      devices: [],
      mqtt: { url: URL, username: IDENTITY.username, credentialsFile: paths.credentialsFile, caFile: paths.caFile, allowPlaintext: false },
    });
    expect(config.mqtt.password).toBeUndefined();
    expect(readCredentials(paths.credentialsFile)).toEqual({ mqtt: { [IDENTITY.username]: { username: IDENTITY.username, password: IDENTITY.password } } });
    expect(modeOf(paths.credentialsFile)).toBe(0o600);
    expect(modeOf(paths.dir)).toBe(0o700);
    expect(readFileSync(paths.caFile, 'utf8')).toBe(CA_PEM);
    // Not a secret, but other users have no business there: not world-readable.
    expect(modeOf(configFile) & 0o007).toBe(0);
  });

  it('updates an existing config: its comments and devices stay, site, agent and mqtt change, a stale password goes', () => {
    const dir = newDir();
    const configFile = join(dir, 'agent.yaml');
    writeFileSync(configFile, EXISTING);
    const dataDir = join(dir, 'data');
    installIdentity(IDENTITY, configFile, URL, dataDir);
    const text = readFileSync(configFile, 'utf8');
    for (const kept of ["# The counter's Pi. Keep this comment.", '# The scales.', '# floor scale behind a ser2net device server', 'transport: { type: tcp, host: 192.0.2.10, port: 4001 }']) {
      expect(text, kept).toContain(kept);
    }
    expect(text).not.toContain('an-old-password-in-clear');
    expect(text).not.toContain('allowPlaintext');
    expect(text).not.toContain('old-ca.pem');
    const paths = identityPaths(dataDir);
    expect(parse(text)).toEqual({
      site: 'paris-11',
      agent: 'comptoir',
      mqtt: { url: URL, username: IDENTITY.username, caFile: paths.caFile, credentialsFile: paths.credentialsFile },
      devices: parse(EXISTING).devices,
      dataDir,
    });
    expect(loadConfig(agentConfigSchema, configFile).devices.map((d) => d.id)).toEqual(['balance-sol']);
  });

  it('fills an empty config file, and updates a flow-style mqtt map in place', () => {
    const dir = newDir();
    const empty = join(dir, 'empty.yaml');
    writeFileSync(empty, '');
    installIdentity(IDENTITY, empty, URL, join(dir, 'data'));
    expect(loadConfig(agentConfigSchema, empty)).toMatchObject({ site: 'paris-11', devices: [] });
    const flow = join(dir, 'flow.yaml');
    writeFileSync(flow, 'mqtt: { url: "mqtt://192.0.2.1", password: old-one, allowPlaintext: true }   # the old broker\ndevices: []\n');
    installIdentity(IDENTITY, flow, URL, join(dir, 'data'));
    const text = readFileSync(flow, 'utf8');
    expect(text).toContain('# the old broker');
    expect(text).not.toContain('old-one');
    expect(loadConfig(agentConfigSchema, flow).mqtt).toMatchObject({ url: URL, username: IDENTITY.username, allowPlaintext: false });
  });

  it("keeps the config's own dataDir when none is given", () => {
    const dir = newDir();
    const configFile = join(dir, 'agent.yaml');
    const dataDir = join(dir, 'own-data');
    writeFileSync(configFile, `dataDir: ${dataDir}\ndevices: []\n`);
    expect(installIdentity(IDENTITY, configFile, URL).dataDir).toBe(dataDir);
    expect(readCredentials(identityPaths(dataDir).credentialsFile)?.mqtt[IDENTITY.username]?.password).toBe(IDENTITY.password);
  });

  it('removes mqtt.caFile for an identity without a CA (a server with a public certificate)', () => {
    const dir = newDir();
    const configFile = join(dir, 'agent.yaml');
    writeFileSync(configFile, EXISTING);
    const dataDir = join(dir, 'data');
    const { caPem: _caPem, ...publicCa } = IDENTITY;
    installIdentity(publicCa, configFile, URL, dataDir);
    const config = loadConfig(agentConfigSchema, configFile);
    expect(config.mqtt.caFile).toBeUndefined();
    expect(config.mqtt.credentialsFile).toBe(identityPaths(dataDir).credentialsFile);
    expect(() => statSync(identityPaths(dataDir).caFile)).toThrow(/ENOENT/);
    // And after a join to a server that is its own CA, a later join to a public one drops the pin.
    installIdentity(IDENTITY, configFile, URL, dataDir);
    expect(loadConfig(agentConfigSchema, configFile).mqtt.caFile).toBe(identityPaths(dataDir).caFile);
    installIdentity(publicCa, configFile, URL, dataDir);
    expect(loadConfig(agentConfigSchema, configFile).mqtt.caFile).toBeUndefined();
  });

  it('says at once when the config it leaves would not load, naming the key', () => {
    const dir = newDir();
    const configFile = join(dir, 'agent.yaml');
    writeFileSync(configFile, `${EXISTING}colour: blue\n`);
    expect(() => installIdentity(IDENTITY, configFile, URL, join(dir, 'data'))).toThrow(/unknown key "colour"/);
  });
});
