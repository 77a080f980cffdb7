import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { components } from './components.js';
import { loadConfig } from '../runtime/config.js';

const dir = join(import.meta.dirname, '../deploy/examples');
/** Examples beside the one per component, and the component each configures. */
const EXTRA: Record<string, keyof typeof components> = { 'server.yaml': 'up' };

describe('example configurations', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

  it('there is one per process kind', () => {
    const perComponent = files.filter((f) => !(f in EXTRA));
    expect(perComponent.map((f) => f.replace('.yaml', '')).sort()).toEqual(Object.keys(components).sort());
  });

  for (const file of files) {
    it(`${file} is valid`, async () => {
      const kind = EXTRA[file] ?? (file.replace('.yaml', '') as keyof typeof components);
      const schema = await components[kind].schema();
      expect(() => loadConfig(schema, join(dir, file))).not.toThrow();
    });
  }
});
