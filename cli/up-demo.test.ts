import { describe, expect, it } from 'vitest';
import { YEAR_DISTRICTS } from '../firmware-sim/scenarios/year-scenario.js';
import { upConfigSchema } from './up-config.js';
import { demoConfig } from './up-demo.js';

describe('demoConfig: a demonstration never runs on the real data', () => {
  it('takes a data folder and a database of its own, beside the real ones', () => {
    const demo = demoConfig(upConfigSchema.parse({ dataDir: '/var/lib/trebuchet/', influx: { managed: false, url: 'http://127.0.0.1:8086', database: 'lilas' } }));
    expect(demo.dataDir).toBe('/var/lib/trebuchet-demo');
    expect(demo.influx).toMatchObject({ managed: false, url: 'http://127.0.0.1:8086', database: 'lilas_demo' });
  });

  it("lists the calibrated year's districts when the site lists none, and keeps a site's own", () => {
    expect(demoConfig(upConfigSchema.parse({})).taxonomy?.districts.map((d) => d.id)).toEqual(YEAR_DISTRICTS.map((d) => d.id));
    const own = demoConfig(upConfigSchema.parse({ taxonomy: { districts: [{ id: 'centre', label: 'Centre-ville' }] } }));
    expect(own.taxonomy?.districts.map((d) => d.id)).toEqual(['centre']);
  });
});
