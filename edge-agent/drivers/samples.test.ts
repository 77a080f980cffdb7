import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { deviceSchema } from '../config.js';
import { drivers } from './index.js';

describe('driver samples', () => {
  it.each(drivers.map((d) => d.name))('%s: sample.yaml is a device entry the agent takes, shown as is in the README', (name) => {
    const folder = join(import.meta.dirname, name);
    const sample = readFileSync(join(folder, 'sample.yaml'), 'utf8');
    expect(deviceSchema.parse(parseYaml(sample))).toMatchObject({ driver: name });
    expect(readFileSync(join(folder, 'README.md'), 'utf8')).toContain(`\`\`\`yaml\n${sample}\`\`\`\n`);
  });
});
