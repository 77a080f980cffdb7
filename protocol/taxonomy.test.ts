import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentConfigSchema } from '../edge-agent/config.js';
import { dashboardsConfigSchema } from '../dashboards/config.js';
import { parseTypedKg } from './units.js';
import { categoryResolver, DEFAULT_TAXONOMY, taxonomySchema } from './taxonomy.js';
import { ConfigError, validateConfig } from '../runtime/config.js';
import { siteTaxonomy } from '../runtime/taxonomy-config.js';

function problems(schema: Parameters<typeof validateConfig>[0], input: unknown): string {
  try {
    validateConfig(schema, input);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.join('\n');
    throw err;
  }
  return '';
}

describe('site taxonomy', () => {
  it('defaults to the eight categories of docs/domain.md, with containers, destinations and partners', () => {
    expect(DEFAULT_TAXONOMY.categories.map((c) => c.id)).toEqual(['textile', 'mobilier', 'livres', 'deee', 'quincaillerie', 'jouets', 'supports-media', 'autre']);
    expect(DEFAULT_TAXONOMY.destinations.find((d) => d.id === 'recyclage')).toMatchObject({ needsPartner: true, valorised: true });
    expect(DEFAULT_TAXONOMY.destinations.find((d) => d.id === 'decheterie')!.valorised).toBe(false);
    expect(DEFAULT_TAXONOMY.districts).toEqual([]);
  });

  it('takes a plain label for both languages', () => {
    const t = taxonomySchema.parse({ districts: [{ id: 'gare', label: 'Quartier de la gare' }] });
    expect(t.districts[0]!.label).toEqual({ fr: 'Quartier de la gare', en: 'Quartier de la gare' });
  });

  it('refuses ids used twice, a former id that is still a category, and a bad colour, naming the key', () => {
    const cat = (id: string, extra: object = {}) => ({ id, label: id, color: '#112233', ...extra });
    expect(problems(taxonomySchema, { categories: [cat('a'), cat('a')] })).toMatch(/categories\[1\]\.id.*"a" is used twice/);
    expect(problems(taxonomySchema, { categories: [cat('a', { formerIds: ['b'] }), cat('b')] })).toMatch(/formerIds\[0\].*still a category id/);
    expect(problems(taxonomySchema, { categories: [cat('a', { color: 'red' })] })).toMatch(/categories\[0\]\.color/);
    expect(problems(taxonomySchema, { partners: [], destinations: [{ id: 'recyclage', label: 'R', needsPartner: true }] })).toMatch(/needs a partner/);
  });

  it('resolves a former id to the category that took it over', () => {
    const t = taxonomySchema.parse({ categories: [{ id: 'textile', label: 'Textile', color: '#d1495b', formerIds: ['vetements'] }] });
    const current = categoryResolver(t);
    expect([current('vetements'), current('textile'), current('inconnu')]).toEqual(['textile', 'textile', 'inconnu']);
  });

  it('is read from one file by the agent and the dashboards, checked with their config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-taxonomy-'));
    const file = join(dir, 'taxonomy.yaml');
    writeFileSync(file, 'categories:\n  - { id: velos, label: Vélos, color: "#4f772d" }\ncontainers: []\n');
    const agent = validateConfig(agentConfigSchema, { taxonomyFile: file });
    const dashboards = validateConfig(dashboardsConfigSchema, { taxonomyFile: file });
    expect(siteTaxonomy(agent)).toEqual(siteTaxonomy(dashboards));
    expect(siteTaxonomy(agent).categories.map((c) => c.id)).toEqual(['velos']);
    // A scale's default category must be in it.
    expect(problems(agentConfigSchema, { taxonomyFile: file, devices: [{ id: 'b', type: 'scale', driver: 'stgs', transport: { type: 'tcp', host: '127.0.0.1', port: 1 } }] })).toMatch(
      /defaultCategory.*use one of velos/,
    );
    writeFileSync(file, 'categories:\n  - { id: velos, label: Vélos, colour: "#4f772d" }\n');
    expect(problems(agentConfigSchema, { taxonomyFile: file })).toMatch(/taxonomy\.yaml: .*unknown key "categories\[0\]\.colour".*allowed keys here: id, label, retired, color, formerIds/);
    expect(problems(agentConfigSchema, { taxonomyFile: join(dir, 'missing.yaml') })).toMatch(/cannot read the file/);
    writeFileSync(file, 'containers: []\n');
    expect(problems(agentConfigSchema, { taxonomyFile: file, taxonomy: {} })).toMatch(/inline or as a file, not both/);
  });
});

describe('a weight typed at the counter', () => {
  it('reads the French decimal comma, a point, spaces and "kg"', () => {
    expect(parseTypedKg('12,5')).toEqual({ ok: true, kg: 12.5 });
    expect(parseTypedKg(' 3.25 kg ')).toEqual({ ok: true, kg: 3.25 });
    expect(parseTypedKg('7')).toEqual({ ok: true, kg: 7 });
  });

  it('refuses what is not a number, and zero or less', () => {
    for (const text of ['', 'abc', '12,5,3', '1e3', '12 kg 5', ',5', '١٢']) expect(parseTypedKg(text), text).toEqual({ ok: false, reason: 'not-a-number' });
    expect(parseTypedKg('0')).toEqual({ ok: false, reason: 'not-positive' });
    expect(parseTypedKg('0,000')).toEqual({ ok: false, reason: 'not-positive' });
    expect(parseTypedKg('-3')).toEqual({ ok: false, reason: 'not-positive' });
  });
});
