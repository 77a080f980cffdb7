import { randomUUID } from 'node:crypto';
import { weighingSchema, type Weighing } from '../protocol/index.js';

/** `count` valid counter weighings spread evenly over the `hours` before now, as an agent's outbox holds them. */
export function recentWeighings(count: number, hours = 24): Weighing[] {
  const start = Date.now() - hours * 3600_000;
  return Array.from({ length: count }, (_, i) =>
    weighingSchema.parse({
      v: 1,
      id: randomUUID(),
      seq: i,
      capturedAt: new Date(start + Math.floor((i * hours * 3600_000) / count)).toISOString(),
      clockSynced: true,
      netKg: 1 + (i % 500) / 100,
      direction: 'in',
      category: 'textile',
      collectType: 'apport-volontaire',
      source: 'auto',
    }),
  );
}
