import { randomUUID } from 'node:crypto';
import type { DateTime } from 'luxon';
import { visitsSchema, weighingSchema, type WeighingInput } from '../../protocol/index.js';

/** Tests' events are numbered from one counter, as one agent numbers its own. */
let seq = 0;
export const nextSeq = (): number => seq++;

/** An incoming counter weighing at a given instant, valid as the agent sends it; `over` changes any field. */
export function weighingAt(capturedAt: DateTime, netKg: number, category: string, over: Partial<WeighingInput> = {}) {
  return weighingSchema.parse({
    v: 1,
    id: randomUUID(),
    seq: nextSeq(),
    capturedAt: capturedAt.toUTC().toISO(),
    clockSynced: true,
    netKg,
    direction: 'in',
    category,
    collectType: 'apport-volontaire',
    source: 'auto',
    ...over,
  });
}

/** A one-minute door-counter bucket starting at a given instant. */
export function visitsAt(bucketStart: DateTime, entries: number, exits: number) {
  return visitsSchema.parse({ v: 1, id: randomUUID(), seq: nextSeq(), bucketStart: bucketStart.toUTC().toISO(), bucketSeconds: 60, clockSynced: true, in: entries, out: exits });
}
