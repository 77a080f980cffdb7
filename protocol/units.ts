/** Mass units scales report, with their factor to kilograms. */
export const KG_PER_UNIT = {
  kg: 1,
  g: 0.001,
  t: 1000,
  lb: 0.45359237,
} as const;

export type MassUnit = keyof typeof KG_PER_UNIT;

export function isMassUnit(unit: string): unit is MassUnit {
  return Object.hasOwn(KG_PER_UNIT, unit);
}

/**
 * Converts to kilograms, rounded to the resolution the scale showed (decimals in its own unit)
 * so that 12.34 lb does not become 5.597296…: a reading never claims more precision than the scale had.
 */
export function toKg(value: number, unit: MassUnit, decimals: number): number {
  const kg = value * KG_PER_UNIT[unit];
  // Digits needed in kg to keep the scale's resolution: its own decimals plus the unit's order of magnitude.
  const extra = Math.max(0, Math.ceil(-Math.log10(KG_PER_UNIT[unit])));
  return roundTo(kg, Math.min(decimals + extra + (unit === 'lb' ? 1 : 0), 9));
}

export function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

/** Grams as an integer: sums of kilograms are exact when done in grams. */
export function kgToGrams(kg: number): number {
  return Math.round(kg * 1000);
}

export type TypedKg = { ok: true; kg: number } | { ok: false; reason: 'not-a-number' | 'not-positive' };

/**
 * A weight typed at the counter: French decimal comma or point, optional "kg" and spaces ("12,5 kg").
 * Anything else (two separators, letters, nothing) is not a number; rounded to the gram.
 */
export function parseTypedKg(text: string): TypedKg {
  const m = /^\s*(\d{1,6})(?:[.,](\d{1,3}))?\s*(?:kg)?\s*$/i.exec(text);
  if (!m) return { ok: false, reason: /^\s*-/.test(text) ? 'not-positive' : 'not-a-number' };
  const kg = Number(`${m[1]}.${m[2] ?? '0'}`);
  return kg > 0 ? { ok: true, kg } : { ok: false, reason: 'not-positive' };
}
