import { describe, expect, it } from 'vitest';
import { limitBreach } from './weight-limits.js';

describe('limitBreach', () => {
  const scale = { minKg: 0.2, maxKg: 150 };

  it('takes a load within the scale’s bounds, the bounds themselves too', () => {
    for (const kg of [0.2, 12.5, 150]) expect(limitBreach(scale, { netKg: kg, grossKg: kg }), String(kg)).toBeUndefined();
    expect(limitBreach({ minKg: 0.2 }, { netKg: 10_000, grossKg: 10_000 })).toBeUndefined();
  });

  it('refuses more on the scale than its capacity, the container counted', () => {
    expect(limitBreach(scale, { netKg: 10_000, grossKg: 10_000 })).toMatchObject({ code: 'over-max', params: { kg: 10_000, maxKg: 150 } });
    expect(limitBreach(scale, { netKg: 149, grossKg: 151.4 })).toMatchObject({ code: 'over-max', params: { kg: 151.4 } });
  });

  it('refuses less net than the scale’s smallest load', () => {
    expect(limitBreach(scale, { netKg: 1e-9, grossKg: 1e-9 })).toMatchObject({ code: 'under-min', params: { kg: 1e-9, minKg: 0.2 } });
  });
});
