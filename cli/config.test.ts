import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentConfigSchema } from '../edge-agent/config.js';
import { ingestConfigSchema } from '../ingest/config.js';
import { upConfigSchema } from './up-config.js';
import { ConfigError, loadConfig } from '../runtime/config.js';
import { siteTaxonomy } from '../runtime/taxonomy-config.js';

function yamlFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tb-config-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, text);
  return file;
}

function problems(schema: Parameters<typeof loadConfig>[0], text: string): string {
  try {
    loadConfig(schema, yamlFile(text));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('config was accepted');
}

describe('configuration', () => {
  it('runs on embedded defaults with no file', () => {
    const up = loadConfig(upConfigSchema);
    expect(up.site).toEqual({ id: 'ma-ressourcerie', name: 'Ma ressourcerie', timeZone: 'Europe/Paris' });
    expect(up.influx.httpPort).toBe(18086);
    // The simulated shop keeps a real shop's pace unless told otherwise; a demonstration is asked for.
    expect(up.simulation.speed).toBe(1);
    expect(up.demo).toBe(false);
    const agent = loadConfig(agentConfigSchema);
    expect(siteTaxonomy(agent).categories.map((c) => c.id)).toContain('textile');
    expect(loadConfig(ingestConfigSchema).batch.maxWaitMs).toBe(100);
  });

  it('fills nested defaults inside a partly given section', () => {
    const cfg = loadConfig(
      agentConfigSchema,
      yamlFile(`devices:\n  - id: balance-1\n    type: scale\n    driver: stgs\n    transport: { type: tcp, host: 127.0.0.1, port: 4001 }\n    weighing: { minKg: 0.5 }\n`),
    );
    const device = cfg.devices[0];
    if (device?.driver !== 'stgs') throw new Error('expected an stgs device');
    expect(device.weighing).toMatchObject({ minKg: 0.5, rearmBelowKg: 0.05, defaultCategory: 'autre', direction: 'in' });
    expect(device.stgs.format).toBe('auto');
  });

  it('refuses an unknown key, naming it, its value and the allowed keys', () => {
    const msg = problems(ingestConfigSchema, `batch:\n  maxPoint: 10\n`);
    expect(msg).toContain('unknown key "batch.maxPoint"');
    expect(msg).toContain('value 10');
    expect(msg).toMatch(/allowed keys here: maxPoints, maxWaitMs, maxBufferedPoints/);
  });

  it("takes the names a tablet uses for the agent in up's agentHttp, as in the agent's http, and refuses a URL there", () => {
    expect(upConfigSchema.parse({ agentHttp: { host: '0.0.0.0', allowedHosts: ['comptoir.local'] } }).agentHttp).toEqual({ host: '0.0.0.0', port: 8081, allowedHosts: ['comptoir.local'] });
    expect(problems(upConfigSchema, `agentHttp:\n  allowedHosts: ["http://comptoir.local:8081"]\n`)).toContain('a host name, without scheme nor port');
  });

  it('refuses a wrong value, naming the key, the value and what is allowed', () => {
    const msg = problems(
      agentConfigSchema,
      `devices:\n  - id: balance-1\n    type: scale\n    driver: stgs\n    transport: { type: serial, path: /dev/ttyUSB0, parity: maybe }\n`,
    );
    expect(msg).toContain('devices[0].transport.parity: "maybe" is not allowed; use one of "none", "even", "odd"');
  });

  it('refuses a bad type and a bad slug with the value shown', () => {
    expect(problems(ingestConfigSchema, `batch: { maxWaitMs: soon }\n`)).toContain('batch.maxWaitMs: "soon" is not valid');
    expect(problems(upConfigSchema, `site: { id: "Ma Ressourcerie" }\n`)).toMatch(/site\.id: "Ma Ressourcerie" is not valid: must be a slug/);
    expect(problems(upConfigSchema, `site: { timeZone: Paris }\n`)).toMatch(/site\.timeZone: "Paris" .*IANA time zone/);
    // The pace was called timeCompression (12 by default) before it was `speed` (1).
    expect(problems(upConfigSchema, `simulation: { timeCompression: 12 }\n`)).toMatch(/unknown key "simulation\.timeCompression".*speed/);
  });

  it('checks cross-field rules: re-arm band, duplicate ids, unknown default category', () => {
    const dev = (id: string, extra = '') => `  - id: ${id}\n    type: scale\n    driver: stgs\n    transport: { type: tcp, host: h, port: 1 }\n${extra}`;
    expect(problems(agentConfigSchema, `devices:\n${dev('a', '    weighing: { minKg: 0.2, rearmBelowKg: 0.3 }\n')}`)).toContain('rearmBelowKg must be smaller than minKg');
    expect(problems(agentConfigSchema, `devices:\n${dev('a')}${dev('a')}`)).toContain('device id "a" is used twice');
    expect(problems(agentConfigSchema, `devices:\n${dev('a', '    weighing: { defaultCategory: velos }\n')}`)).toMatch(/defaultCategory.*unknown category/);
  });

  it('reports YAML syntax errors and unreadable files', () => {
    expect(problems(ingestConfigSchema, `batch: [\n`)).toContain('YAML syntax');
    expect(() => loadConfig(ingestConfigSchema, '/nonexistent/trebuchet.yaml')).toThrow(/cannot read the file/);
  });
});
