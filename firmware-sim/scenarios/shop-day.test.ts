import { describe, expect, it } from 'vitest';
import { dropoffScenario } from './dropoff-scenario.js';
import { OUT_SHARES, PARTNER_OF } from './outgoing.js';
import { SHOP_DAY, shopDays } from './shop-day.js';

const HOUR = 3_600_000;
const CYCLE = (SHOP_DAY.openHours + SHOP_DAY.closedHours) * HOUR;
const grams = (kg: number) => Math.round(kg * 1000);

describe('shopDays: the days `trebuchet up` plays at docs/domain.md pace', () => {
  const days = 40;
  const visits = [...shopDays({ seed: 11, days })];
  const bons = visits.filter((v) => !v.sortie);
  const sorties = visits.filter((v) => v.sortie);
  const inGrams = bons.reduce((g, v) => g + v.weighings.reduce((s, w) => s + grams(w.kg), 0), 0);
  const outByDestination = new Map<string, number>();
  for (const v of sorties) for (const w of v.weighings) outByDestination.set(v.sortie!.destination, (outByDestination.get(v.sortie!.destination) ?? 0) + grams(w.kg));
  const outGrams = [...outByDestination.values()].reduce((a, b) => a + b, 0);

  it('comes in at a busy shop pace: ≈ 67 donors and ≈ 995 kg an open day, nothing while shut', () => {
    expect(bons.length / days).toBeGreaterThan(60);
    expect(bons.length / days).toBeLessThan(76);
    expect(inGrams / days / 1000).toBeGreaterThan(850);
    expect(inGrams / days / 1000).toBeLessThan(1150);
    for (const v of visits) expect(v.arrivalMs % CYCLE, `visit at ${v.arrivalMs}`).toBeLessThan(SHOP_DAY.openHours * HOUR);
    for (let i = 1; i < visits.length; i++) expect(visits[i]!.arrivalMs).toBeGreaterThanOrEqual(visits[i - 1]!.arrivalMs);
  });

  it("is a real day's pace from the first start: ≈ 210 kg in its first 1 h 40, not 2,300", () => {
    let kg = 0;
    for (let seed = 1; seed <= 20; seed++) {
      for (const v of shopDays({ seed, days: 1 })) if (!v.sortie && v.arrivalMs < 100 * 60_000) kg += v.weighings.reduce((s, w) => s + w.kg, 0);
    }
    expect(kg / 20).toBeGreaterThan(140);
    expect(kg / 20).toBeLessThan(300);
  });

  it('opens with a donor at the door and goods going out within minutes, every day', () => {
    for (let day = 0; day < days; day++) {
      const first = visits.find((v) => v.day === day && !v.sortie)!;
      expect(first.arrivalMs - day * CYCLE).toBeLessThan(3 * 60_000);
      const out = visits.filter((v) => v.day === day && v.sortie).map((v) => (v.arrivalMs - day * CYCLE) / HOUR);
      expect([...new Set(out)].sort((a, b) => a - b)).toEqual([...SHOP_DAY.sortieHours]);
    }
  });

  it('sends out what came in, by destination in the proportions of docs/domain.md (91 % valorised)', () => {
    // Only what came in after the day's last sortie is still in the shop.
    expect(outGrams / inGrams).toBeGreaterThan(0.85);
    expect(outGrams).toBeLessThanOrEqual(inGrams);
    for (const [destination, share] of OUT_SHARES) expect(Math.abs(outByDestination.get(destination)! / outGrams - share), destination).toBeLessThan(0.005);
    // Each category leaves as it came in: its own valorisation is the year's, not 0 % for one and 260 % for another.
    const inByCategory = new Map<string, number>();
    for (const v of bons) for (const w of v.weighings) inByCategory.set(w.categoryId, (inByCategory.get(w.categoryId) ?? 0) + grams(w.kg));
    const valorisedByCategory = new Map<string, number>();
    for (const v of sorties) {
      if (v.sortie!.destination === 'decheterie') continue;
      for (const w of v.weighings) valorisedByCategory.set(w.categoryId, (valorisedByCategory.get(w.categoryId) ?? 0) + grams(w.kg));
    }
    for (const [category, g] of inByCategory) {
      const rate = (valorisedByCategory.get(category) ?? 0) / g;
      expect(rate, category).toBeGreaterThan(g > 500_000 ? 0.85 : 0.7);
      expect(rate, category).toBeLessThan(0.915); // 91 %, give or take the grams of rounding
    }
    // From the very first sortie on, the day is valorised as the year is.
    const firstMoment = sorties.filter((v) => v.arrivalMs === sorties[0]!.arrivalMs);
    const first = firstMoment.flatMap((v) => v.weighings.map((w) => ({ g: grams(w.kg), valorised: v.sortie!.destination !== 'decheterie' })));
    const firstTotal = first.reduce((a, x) => a + x.g, 0);
    expect(first.reduce((a, x) => a + (x.valorised ? x.g : 0), 0) / firstTotal).toBeGreaterThan(0.85);
  });

  it('makes one bon de sortie per destination and filière, lines of at most 60 kg and at least 0.3 kg', () => {
    for (const v of sorties) {
      expect(v.sortie!.destination === 'recyclage').toBe(v.sortie!.partner !== undefined);
      for (const w of v.weighings) {
        expect(w.kg).toBeGreaterThanOrEqual(0.3);
        expect(w.kg).toBeLessThanOrEqual(60);
        if (v.sortie!.destination === 'recyclage') expect(v.sortie!.partner).toBe(PARTNER_OF[w.categoryId] ?? 'filiere-metaux');
      }
    }
  });

  it('replays identically with the same seed', () => {
    expect([...shopDays({ seed: 11, days: 2 })]).toEqual(visits.filter((v) => v.day < 2));
  });

  it('keeps the donors of dropoffScenario, with one waiting at opening', () => {
    const plain = [...dropoffScenario({ seed: 5, days: 1 })];
    const queued = [...dropoffScenario({ seed: 5, days: 1, waitingAtOpening: 2 })];
    expect(queued.length).toBeGreaterThanOrEqual(plain.length - 3);
    expect(queued.filter((v) => v.arrivalMs < 3 * 60_000).length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < queued.length; i++) expect(queued[i]!.arrivalMs).toBeGreaterThanOrEqual(queued[i - 1]!.arrivalMs);
  });
});
