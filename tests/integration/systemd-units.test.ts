import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const UNITS = join(ROOT, 'deploy/systemd');
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';
const unitFiles = readdirSync(UNITS).filter((f) => f.endsWith('.service'));

type Unit = Record<string, Record<string, string[]>>;

/** A unit's sections, each key with every value it is given (a key may repeat). */
function parseUnit(text: string): Unit {
  const unit: Unit = {};
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      unit[section] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    (unit[section]![key] ??= []).push(line.slice(eq + 1));
  }
  return unit;
}

const NETLINK = 'AF_UNIX AF_INET AF_INET6 AF_NETLINK';
/**
 * What each unit must say beyond the common hardening. A unit in deploy/systemd/ missing here fails: a new
 * component gets its line, and with it every check below.
 */
const expected: Record<string, { readWritePaths?: string; capabilities: string; addressFamilies: string; serial: boolean; after: string[] }> = {
  broker: { readWritePaths: '/var/lib/trebuchet', capabilities: 'CAP_NET_BIND_SERVICE', addressFamilies: NETLINK, serial: false, after: [] },
  ingest: { capabilities: '', addressFamilies: 'AF_UNIX AF_INET AF_INET6', serial: false, after: ['trebuchet-broker.service'] },
  dashboards: { readWritePaths: '/var/lib/trebuchet', capabilities: '', addressFamilies: NETLINK, serial: false, after: ['trebuchet-broker.service'] },
  agent: { readWritePaths: '/var/lib/trebuchet/agent', capabilities: '', addressFamilies: NETLINK, serial: true, after: [] },
  up: { readWritePaths: '/var/lib/trebuchet', capabilities: 'CAP_NET_BIND_SERVICE', addressFamilies: NETLINK, serial: true, after: [] },
};

/** Every unit carries these, whatever it runs. */
const commonService: Record<string, string> = {
  Type: 'simple',
  User: 'trebuchet',
  Group: 'trebuchet',
  WorkingDirectory: '/var/lib/trebuchet',
  Restart: 'always',
  TimeoutStopSec: '30',
  NoNewPrivileges: 'yes',
  ProtectSystem: 'strict',
  PrivateTmp: 'yes',
  ProtectHome: 'yes',
  ProtectKernelTunables: 'yes',
  ProtectKernelModules: 'yes',
  ProtectControlGroups: 'yes',
  RestrictSUIDSGID: 'yes',
  LockPersonality: 'yes',
};

describe('systemd units', () => {
  it('deploy/systemd holds a unit for every component, and each is in the hardening table', () => {
    const components = unitFiles.map((f) => /^trebuchet-(.+)\.service$/.exec(f)?.[1]);
    expect(components.filter((c) => !c || !(c in expected)), 'units missing from the table `expected` of this test').toEqual([]);
    expect(Object.keys(expected).filter((c) => !unitFiles.includes(`trebuchet-${c}.service`)), 'components without a unit').toEqual([]);
  });

  describe.each(unitFiles)('%s', (file) => {
    const component = /^trebuchet-(.+)\.service$/.exec(file)![1]!;
    const want = expected[component];
    const unit = parseUnit(readFileSync(join(UNITS, file), 'utf8'));
    const service = unit.Service ?? {};
    const one = (key: string) => service[key]?.join(' | ');

    it('runs its component with its config from /etc/trebuchet, secrets from an optional env file', () => {
      // The agent runs on a Pi with a small young generation and V8's lite mode (its unit says why); the servers keep V8's defaults.
      const flags = component === 'agent' ? '--max-semi-space-size=1 --lite-mode ' : '';
      expect(one('ExecStart')).toBe(`/usr/bin/node ${flags}/opt/trebuchet/dist/bundle/trebuchet.js ${component} --config /etc/trebuchet/${component}.yaml`);
      expect(one('Environment')).toBe('MALLOC_MMAP_THRESHOLD_=131072');
      expect(one('EnvironmentFile')).toBe(`-/etc/trebuchet/${component}.env`);
      expect(one('RestartSec')).toMatch(/^\d+$/);
    });

    it('has the common hardening', () => {
      const got = Object.fromEntries(Object.keys(commonService).map((k) => [k, one(k)]));
      expect(got).toEqual(commonService);
      // V8's JIT needs memory both writable and executable: this key would kill node at its first compile.
      expect(service.MemoryDenyWriteExecute).toBeUndefined();
    });

    it('may write only where it writes, holds only the capabilities it needs, speaks only the address families it uses', () => {
      expect(want, `add ${component} to the table \`expected\``).toBeDefined();
      expect(one('ReadWritePaths')).toBe(want!.readWritePaths);
      expect(one('CapabilityBoundingSet')).toBe(want!.capabilities);
      expect(one('AmbientCapabilities')).toBe(want!.capabilities || undefined);
      expect(one('RestrictAddressFamilies')).toBe(want!.addressFamilies);
    });

    it('reaches the serial ports only if it reads devices', () => {
      if (want!.serial) {
        expect(one('SupplementaryGroups')).toBe('dialout');
        // A device allow-list is resolved at start: a USB adapter plugged later would stay refused.
        expect([one('PrivateDevices'), one('DevicePolicy'), one('DeviceAllow')]).toEqual([undefined, undefined, undefined]);
      } else {
        expect(one('PrivateDevices')).toBe('yes');
        expect(one('SupplementaryGroups')).toBeUndefined();
      }
    });

    it('starts after the network is online (and the broker, for its clients), at boot', () => {
      const after = (unit.Unit?.After ?? []).join(' ').split(/\s+/);
      expect(after).toEqual(expect.arrayContaining(['network-online.target', ...want!.after]));
      expect((unit.Unit?.Wants ?? []).join(' ').split(/\s+/)).toContain('network-online.target');
      expect(unit.Install?.WantedBy).toEqual(['multi-user.target']);
    });
  });

  const hasAnalyze = existsSync(SYSTEMD_ANALYZE);
  describe.skipIf(!hasAnalyze)(hasAnalyze ? 'systemd-analyze verify' : `systemd-analyze verify: skipped, no ${SYSTEMD_ANALYZE} on this machine`, () => {
    // The units name /usr/bin/node, which verify requires to be executable: a copy names this test's node.
    const copies = mkdtempSync(join(tmpdir(), 'trebuchet-units-'));
    afterAll(() => rmSync(copies, { recursive: true, force: true }));

    it.each(unitFiles)('%s: no warning', (file) => {
      const copy = join(copies, file);
      writeFileSync(copy, readFileSync(join(UNITS, file), 'utf8').replaceAll('/usr/bin/node ', `${process.execPath} `));
      const result = spawnSync(SYSTEMD_ANALYZE, ['verify', '--man=no', copy], { encoding: 'utf8' });
      // Other units of this machine may get warnings of their own: only lines about ours count.
      const ours = `${result.stdout}${result.stderr}`.split('\n').filter((line) => line.includes(copies) || line.includes(file));
      expect(ours).toEqual([]);
      expect(result.status).toBe(0);
    });
  });
});

describe.each(['install-server.sh', 'install-agent.sh'])('scripts/%s', (script) => {
  const path = join(ROOT, 'scripts', script);
  // Never without --dry-run: a real run creates a user, folders and a unit on this machine.
  const dryRun = (...args: string[]) => spawnSync('bash', [path, '--dry-run', ...args], { encoding: 'utf8', cwd: tmpdir() });

  it('parses (bash -n)', () => {
    const result = spawnSync('bash', ['-n', path], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('prints every action of a run with --dry-run, and exits 0', () => {
    const result = dryRun();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const userExists = spawnSync('id', ['trebuchet']).status === 0;
    expect(result.stdout).toContain(userExists ? 'User trebuchet exists' : '+ useradd --system --user-group --home-dir /var/lib/trebuchet');
    expect(result.stdout).toContain('+ install -d -m 0750 -o root -g trebuchet /etc/trebuchet');
    expect(result.stdout).toContain('+ install -d -m 0750 -o trebuchet -g trebuchet /var/lib/trebuchet');
    expect(result.stdout).toContain('+ env -C /opt/trebuchet.new npm ci');
    expect(result.stdout).toContain('+ mv /opt/trebuchet.new /opt/trebuchet');
    const unit = script === 'install-server.sh' ? 'trebuchet-up.service' : 'trebuchet-agent.service';
    expect(result.stdout).toContain(`/etc/systemd/system/${unit}`);
    expect(result.stdout).toContain(`+ systemctl enable ${unit}`);
    expect(result.stdout).toContain('dry run: nothing was changed');
  });

  it('writes the units for --prefix', () => {
    const result = dryRun('--prefix', '/srv/trebuchet/');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('code in /srv/trebuchet)');
    expect(result.stdout).toContain('+ mv /srv/trebuchet.new /srv/trebuchet');
  });

  it('refuses an unknown option or a vague --prefix, naming it', () => {
    for (const [args, message] of [
      [['--prefixx', '/opt/x'], 'unknown option "--prefixx"'],
      [['--prefix', '/'], '--prefix "" must be an absolute folder below the root'],
      [['--prefix', 'opt/trebuchet'], '--prefix "opt/trebuchet" must be an absolute folder'],
    ] as const) {
      const result = dryRun(...args);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(message);
    }
  });
});

it('scripts/install-agent.sh leaves out what the Pi does not run, and prunes the dev dependencies', () => {
  const out = spawnSync('bash', [join(ROOT, 'scripts/install-agent.sh'), '--dry-run'], { encoding: 'utf8' }).stdout;
  expect(out).not.toMatch(/influx|trebuchet-up|dashboards/i);
  expect(out).toContain('+ install -d -m 0700 -o trebuchet -g trebuchet /var/lib/trebuchet/agent');
  const inDialout = spawnSync('id', ['-nG', 'trebuchet'], { encoding: 'utf8' }).stdout.split(/\s+/).includes('dialout');
  expect(out).toContain(inDialout ? 'User trebuchet is in group dialout' : '+ usermod --append --groups dialout trebuchet');
  expect(out).toContain('+ env -C /opt/trebuchet.new npm prune --omit=dev');
  if (!existsSync('/etc/trebuchet/agent.yaml')) {
    // The unit is enabled, not started: it starts once `trebuchet agent join` has written its config.
    expect(out).not.toContain('systemctl restart trebuchet-agent');
    expect(out).toContain('trebuchet agent join CODE --server https://');
  }
});
