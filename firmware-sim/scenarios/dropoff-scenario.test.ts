import { describe, expect, it } from 'vitest';
import { DEFAULT_CATEGORIES } from '../../protocol/taxonomy.js';
import { Attendant, CATEGORY_SHARES, dropoffScenario, type DonorVisit } from './dropoff-scenario.js';
import { SimulatedStgsScale } from '../stgs/simulated-stgs-scale.js';

describe('dropoffScenario', () => {
  it('uses the category ids of the taxonomy, with shares summing to 1', () => {
    const ids = DEFAULT_CATEGORIES.map((c) => c.id);
    expect(Object.keys(CATEGORY_SHARES).sort()).toEqual([...ids].sort());
    expect(Object.values(CATEGORY_SHARES).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  it('is calibrated on docs/domain.md over 60 open days', () => {
    const visits = [...dropoffScenario({ seed: 3, days: 60 })];
    const kgByCategory = new Map<string, number>();
    let totalKg = 0;
    for (const v of visits) {
      expect(v.weighings.length).toBeGreaterThanOrEqual(1);
      expect(v.weighings.length).toBeLessThanOrEqual(4);
      expect(new Set(v.weighings.map((w) => w.categoryId)).size).toBe(v.weighings.length); // one weighing per category
      for (const w of v.weighings) {
        expect(w.kg).toBeGreaterThanOrEqual(0.3);
        kgByCategory.set(w.categoryId, (kgByCategory.get(w.categoryId) ?? 0) + w.kg);
        totalKg += w.kg;
      }
    }
    const donorsPerDay = visits.length / 60;
    expect(donorsPerDay).toBeGreaterThan(60);
    expect(donorsPerDay).toBeLessThan(74); // ≈ 67
    expect(totalKg / visits.length).toBeGreaterThan(13.5);
    expect(totalKg / visits.length).toBeLessThan(16.5); // ≈ 15 kg a donor
    expect(totalKg / 60).toBeGreaterThan(850);
    expect(totalKg / 60).toBeLessThan(1150); // ≈ 995 kg a day
    for (const [id, share] of Object.entries(CATEGORY_SHARES)) {
      expect(Math.abs((kgByCategory.get(id) ?? 0) / totalKg - share), id).toBeLessThan(0.025);
    }
  });

  it('replays identically with the same seed, and arrives in order within open hours', () => {
    const a = [...dropoffScenario({ seed: 9, days: 2 })];
    expect([...dropoffScenario({ seed: 9, days: 2 })]).toEqual(a);
    expect([...dropoffScenario({ seed: 10, days: 2 })]).not.toEqual(a);
    for (let i = 1; i < a.length; i++) expect(a[i]!.arrivalMs).toBeGreaterThan(a[i - 1]!.arrivalMs);
    expect(a.at(-1)!.arrivalMs).toBeLessThan(2 * 8 * 3_600_000);
    expect(a.filter((v) => v.day === 1).length).toBeGreaterThan(0);
  });
});

describe('Attendant', () => {
  it('selects the category, loads, waits for stable, unloads; stop() ends cleanly', async () => {
    const scale = new SimulatedStgsScale({ intervalMs: 20, settleMs: [60, 120] });
    scale.start();
    const scenario: DonorVisit[] = [
      { donor: 1, day: 0, arrivalMs: 0, weighings: [{ categoryId: 'textile', kg: 4.2 }, { categoryId: 'livres', kg: 7.5 }] },
      { donor: 2, day: 0, arrivalMs: 60_000, weighings: [{ categoryId: 'deee', kg: 3 }] },
    ];
    const log: string[] = [];
    scale.on('firstStableFrame', (kg) => log.push(`stable ${kg}`));
    const attendant = new Attendant(
      scale,
      {
        beginVisit: async (v) => void log.push(`open bon ${v.donor}`),
        pickCategory: async (id) => void log.push(`select ${id}`),
        endVisit: async (v) => void log.push(`close bon ${v.donor}`),
      },
      { scenario, speed: 1_000, holdMs: 50, pauseMs: 150 },
    );
    attendant.on('weighed', (_v, w) => log.push(`weighed ${w.categoryId}`));
    await attendant.run();
    scale.stop();
    expect(log).toEqual([
      'open bon 1',
      'select textile',
      'stable 4.2',
      'weighed textile',
      'stable 0',
      'select livres',
      'stable 7.5',
      'weighed livres',
      'stable 0',
      'close bon 1',
      'open bon 2',
      'select deee',
      'stable 3',
      'weighed deee',
      'stable 0',
      'close bon 2',
    ]);

    const endless = new Attendant(scale, { pickCategory: async () => undefined }, { speed: 1 });
    const run = endless.run();
    await endless.stop();
    await run;
    expect(scale.platterKg).toBe(0);
  });
});
