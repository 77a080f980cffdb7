import type { InfluxDB } from 'influx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATED_SCALE_ID } from '../../cli/up.js';
import type { KioskBon, KioskLine, KioskNotice, KioskRefusal, KioskState } from '../../edge-agent/kiosk/kiosk-types.js';
import { startTestStack } from '../helpers/up-stack.js';
import { jsonApi } from '../helpers/http.js';
import { readyAtZero } from '../helpers/kiosk.js';
import { waitFor } from '../helpers/wait.js';
import { createInflux } from '../../runtime/influx-client.js';

const SCALE = SIMULATED_SCALE_ID;

/**
 * The counter's kiosk API on the whole system (`trebuchet up` with its simulated scale, real influxd):
 * bons, the tap-and-weigh rule, tares, typed weights, cancelled lines and every refusal, down to the
 * points stored in InfluxDB.
 */
describe('the drop-off counter (kiosk API → outbox → broker → ingest → InfluxDB)', () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let influx: InfluxDB;
  const notices: KioskNotice[] = [];

  const call = jsonApi(() => stack.agent.httpUrl);
  const state = async () => (await call<KioskState>('GET', '/api/v1/kiosk/state')).body;
  const scaleStep = async () => (await state()).scales.find((s) => s.id === SCALE)!.step;
  const openBon = async (body: object) => {
    const r = await call<KioskBon>('POST', '/api/v1/kiosk/bons', { by: 'Awa', ...body });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body;
  };
  const tap = (category: string) => call<{ line?: KioskLine }>('POST', `/api/v1/kiosk/scales/${SCALE}/category`, { category, by: 'Awa' });
  const noticeAfter = (code: KioskNotice['code'], since: number) =>
    waitFor(`a "${code}" notice`, () => notices.slice(since).find((n) => n.code === code), 20_000);
  /** Puts a box on, waits until the line is on the bon, takes the box off and waits for zero. */
  const weighBox = async (kg: number, category: string, order: 'tap-first' | 'load-first'): Promise<KioskLine> => {
    const lines = (await state()).bon!.lines.length;
    if (order === 'tap-first') {
      expect((await tap(category)).status).toBe(200);
      stack.simulatedScale!.load(kg);
    } else {
      stack.simulatedScale!.load(kg);
      await waitFor('the load waiting for its category', async () => (await scaleStep()) === 'awaiting-category');
      const r = await tap(category);
      expect(r.status).toBe(200);
      expect(r.body.line?.weighing.category).toBe(category);
    }
    const bon = await waitFor('the line on the bon', async () => {
      const b = (await state()).bon!;
      return b.lines.length > lines && b;
    });
    await emptyScale();
    return bon.lines.at(-1)!;
  };
  const emptyScale = async () => {
    stack.simulatedScale!.unload();
    await waitFor('the scale back at zero', async () => ['idle', 'armed'].includes(await scaleStep()));
  };
  /** InfluxDB read once all the agent sent is acknowledged, so that no point is caught half-written. */
  const stored = async <T = Record<string, unknown>>(sql: string): Promise<T[]> => {
    await stack.acknowledged();
    return influx.query<T>(sql);
  };

  beforeAll(async () => {
    stack = await startTestStack(
      {
        site: { id: 'lilas', name: 'Ressourcerie des Lilas', timeZone: 'Europe/Paris' },
        simulation: { capture: 'bon', maxKg: 60 },
        kiosk: { stableTimeoutS: 1.5 },
        taxonomy: {
          districts: [
            { id: 'centre', label: 'Centre-ville' },
            { id: 'gare', label: 'Quartier de la gare' },
          ],
        },
      },
      { attendant: false, simulatedScale: { settleMs: [150, 300], intervalMs: 50 } },
    );
    influx = createInflux(stack.influx);
    stack.agent.desk.on('notice', (n) => notices.push(n));
    await waitFor('the simulated scale at zero', async () => readyAtZero((await state()).scales.find((s) => s.id === SCALE)));
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('runs a bon of five lines with a district, a comment, a container and both orders of tap and load', async () => {
    const bon = await openBon({ direction: 'in', collectType: 'apport-volontaire', district: 'gare', comment: 'Déménagement' });
    expect(bon).toMatchObject({ number: 1, direction: 'in', collectType: 'apport-volontaire', district: 'gare', state: 'open', lines: [] });
    expect(bon.bonId).toMatch(/^comptoir-\d{8}-001-[0-9a-f]{6}$/);

    const l1 = await weighBox(4.2, 'textile', 'tap-first');
    const l2 = await weighBox(7.5, 'livres', 'load-first');
    // A bin of 2.4 kg (taxonomy container "bac"): its tare comes off.
    expect((await call('PUT', `/api/v1/kiosk/scales/${SCALE}/container`, { container: 'bac' })).status).toBe(200);
    const l3 = await weighBox(12.4, 'quincaillerie', 'tap-first');
    expect((await call('PUT', `/api/v1/kiosk/scales/${SCALE}/container`, { container: null })).status).toBe(200);
    const l4 = await weighBox(3.05, 'deee', 'load-first');
    const l5 = await weighBox(1.1, 'jouets', 'tap-first');
    expect([l1, l2, l3, l4, l5].map((l) => [l.weighing.category, l.weighing.netKg])).toEqual([
      ['textile', 4.2],
      ['livres', 7.5],
      ['quincaillerie', 10],
      ['deee', 3.05],
      ['jouets', 1.1],
    ]);
    expect(l3.weighing).toMatchObject({ tareKg: 2.4, grossKg: 12.4, container: 'bac', source: 'auto' });
    for (const l of [l1, l2, l3, l4, l5]) expect(l.weighing).toMatchObject({ bonId: bon.bonId, district: 'gare', collectType: 'apport-volontaire', by: 'Awa' });

    const closed = await call<KioskBon>('POST', `/api/v1/kiosk/bons/${bon.bonId}/close`, { by: 'Awa' });
    expect(closed.status).toBe(200);
    expect(closed.body.state).toBe('closed');
    expect((await state()).bon).toBeNull();
    expect((await state()).recent[0]!.bonId).toBe(bon.bonId);

    const lines = await stored<{ net_kg: number; category: string; district: string; collect_type: string }>(`SELECT * FROM weighing WHERE bon_id = '${bon.bonId}'`);
    expect(lines.map((r) => [r.category, r.net_kg, r.district, r.collect_type])).toEqual(
      [l1, l2, l3, l4, l5].map((l) => [l.weighing.category, l.weighing.netKg, 'gare', 'apport-volontaire']),
    );
    const bonPoints = await stored(`SELECT * FROM bons WHERE bon_id = '${bon.bonId}'`);
    expect(bonPoints).toHaveLength(1);
    expect(bonPoints[0]).toMatchObject({ lines: 5, net_kg: 25.85, state: 'closed', comment: 'Déménagement', district: 'gare', by: 'Awa' });
  }, 90_000);

  it('cancels a line with a compensating entry that nets to zero in every sum, keeping who and when', async () => {
    const bon = await openBon({ direction: 'in', collectType: 'debarras' });
    const keep = await weighBox(6, 'mobilier', 'tap-first');
    const wrong = await weighBox(9.99, 'textile', 'tap-first');
    const voided = await call<KioskLine>('POST', `/api/v1/kiosk/bons/${bon.bonId}/lines/${wrong.id}/void`, { by: 'Karim' });
    expect(voided.status).toBe(200);
    expect(voided.body.voided).toMatchObject({ by: 'Karim' });
    expect((await call<KioskRefusal>('POST', `/api/v1/kiosk/bons/${bon.bonId}/lines/${wrong.id}/void`, {})).body.error).toBe('already-voided');
    // The cancelled line stays on the bon, struck through; the total counts what stands.
    expect((await state()).bon!.lines.map((l) => Boolean(l.voided))).toEqual([false, true]);
    await call('POST', `/api/v1/kiosk/bons/${bon.bonId}/close`, {});

    const rows = await stored<{ net_kg: number; entry: string; voids: string | null; by: string; voided_at: string | null; category: string }>(
      `SELECT * FROM weighing WHERE bon_id = '${bon.bonId}'`,
    );
    expect(rows).toHaveLength(3);
    const original = rows.find((r) => r.entry === 'normal' && r.category === 'textile')!;
    const compensating = rows.find((r) => r.entry === 'void')!;
    expect(compensating).toMatchObject({ net_kg: -9.99, voids: wrong.id, by: 'Karim', category: 'textile' });
    expect(compensating.voided_at).toBeTruthy();
    // Same timestamp as the line it cancels (point identity differs only by entry=void).
    expect(String((compensating as unknown as { time: Date }).time.getTime())).toBe(String((original as unknown as { time: Date }).time.getTime()));
    const [sum] = await influx.query<{ sum: number }>(`SELECT sum(net_kg) FROM weighing WHERE bon_id = '${bon.bonId}'`);
    expect(sum!.sum).toBeCloseTo(keep.weighing.netKg, 9);
    const [textile] = await influx.query<{ sum: number }>(`SELECT sum(net_kg) FROM weighing WHERE bon_id = '${bon.bonId}' AND category = 'textile'`);
    expect(textile!.sum).toBeCloseTo(0, 9);
    const bonRows = await stored(`SELECT * FROM bons WHERE bon_id = '${bon.bonId}'`);
    expect(bonRows).toHaveLength(1);
    expect(bonRows[0]).toMatchObject({ lines: 1, net_kg: 6 });
  }, 60_000);

  it('records a typed weight as typed, and refuses one that is not a number, not positive or above the maximum', async () => {
    const bon = await openBon({ direction: 'in', collectType: 'apport-volontaire' });
    const typed = (text: string, extra: object = {}) =>
      call<KioskLine & KioskRefusal>('POST', `/api/v1/kiosk/bons/${bon.bonId}/lines`, { scale: SCALE, category: 'livres', typed: text, by: 'Awa', ...extra });
    const ok = await typed('12,5');
    expect(ok.status).toBe(201);
    expect(ok.body.weighing).toMatchObject({ netKg: 12.5, source: 'manual', category: 'livres', bonId: bon.bonId });
    expect((await typed('abc')).body).toMatchObject({ error: 'not-a-number' });
    expect((await typed('12,5,3')).status).toBe(400);
    expect((await typed('0')).body).toMatchObject({ error: 'not-positive' });
    expect((await typed('75')).body).toMatchObject({ error: 'over-max', params: { maxKg: 60 } });
    expect((await typed('2', { container: 'bac' })).body).toMatchObject({ error: 'under-tare' });
    const withBin = await typed('10,4 kg', { container: 'bac' });
    expect(withBin.body.weighing).toMatchObject({ netKg: 8, tareKg: 2.4, grossKg: 10.4, container: 'bac' });
    await call('POST', `/api/v1/kiosk/bons/${bon.bonId}/close`, {});
    const rows = await stored(`SELECT * FROM weighing WHERE bon_id = '${bon.bonId}'`);
    expect(rows.map((r) => [r.source, r.net_kg])).toEqual([
      ['manual', 12.5],
      ['manual', 8],
    ]);
  }, 30_000);

  it('weighs outgoing goods by destination and recycling partner', async () => {
    expect((await call<KioskRefusal>('POST', '/api/v1/kiosk/bons', { direction: 'out', destination: 'recyclage' })).body).toMatchObject({
      error: 'missing-field',
      params: { field: 'partner' },
    });
    expect((await call<KioskRefusal>('POST', '/api/v1/kiosk/bons', { direction: 'out', collectType: 'debarras', destination: 'don' })).status).toBe(400);
    const bon = await openBon({ direction: 'out', destination: 'recyclage', partner: 'filiere-textile' });
    const line = await weighBox(18.3, 'textile', 'tap-first');
    expect(line.weighing).toMatchObject({ direction: 'out', destination: 'recyclage', partner: 'filiere-textile' });
    expect(line.weighing.collectType).toBeUndefined();
    await call('POST', `/api/v1/kiosk/bons/${bon.bonId}/close`, {});
    const rows = await stored(`SELECT * FROM weighing WHERE bon_id = '${bon.bonId}'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ direction: 'out', destination: 'recyclage', partner: 'filiere-textile', net_kg: 18.3 });
  }, 30_000);

  it('refuses with a reason: no bon open, no category picked, above the maximum, overload, unstable, empty bon', async () => {
    // No bon: the load is not taken, the screen says why, and a tap is refused.
    let since = notices.length;
    stack.simulatedScale!.load(3);
    await noticeAfter('no-bon', since);
    expect((await tap('textile')).body).toMatchObject({ error: 'no-bon' });
    await emptyScale();

    const bon = await openBon({ direction: 'in', collectType: 'apport-volontaire' });
    expect((await call<KioskRefusal>('POST', `/api/v1/kiosk/bons/${bon.bonId}/close`, {})).body).toMatchObject({ error: 'empty-bon' });
    expect((await tap('velos')).body).toMatchObject({ error: 'unknown-category' });

    // No category: a load put on and taken off without a tap leaves nothing, and says so.
    since = notices.length;
    stack.simulatedScale!.load(5);
    await waitFor('the load waiting for its category', async () => (await scaleStep()) === 'awaiting-category');
    await emptyScale();
    expect((await noticeAfter('no-category', since)).params).toMatchObject({ kg: 5 });

    // Above the scale's maximum (60 kg): refused, even when a category is tapped.
    since = notices.length;
    await tap('mobilier');
    stack.simulatedScale!.load(80);
    expect((await noticeAfter('over-max', since)).params).toMatchObject({ kg: 80, maxKg: 60 });
    await emptyScale();

    // Beyond the platform (150 kg): the scale shows overload, the screen says it.
    since = notices.length;
    stack.simulatedScale!.load(200);
    await noticeAfter('overload', since);
    await emptyScale();

    // A load that keeps swinging: the tapped category is dropped after the timeout (1.5 s here).
    since = notices.length;
    // (A swaying scale, not loads every 100 ms: a loaded machine's timers lag past the settle time.)
    stack.simulatedScale!.setSwaying(true);
    try {
      stack.simulatedScale!.load(6);
      await tap('jouets');
      await noticeAfter('unstable', since);
      expect((await state()).scales[0]!.armedCategory).toBeUndefined();
    } finally {
      stack.simulatedScale!.setSwaying(false);
    }
    await emptyScale();

    expect((await state()).bon!.lines).toEqual([]);
    const abandoned = await call<KioskBon>('POST', `/api/v1/kiosk/bons/${bon.bonId}/abandon`, {});
    expect(abandoned.body.state).toBe('abandoned');
    const bonRows = await stored(`SELECT * FROM bons WHERE bon_id = '${bon.bonId}'`);
    expect(bonRows).toHaveLength(1);
    expect(bonRows[0]).toMatchObject({ state: 'abandoned', lines: 0 });
    expect(await influx.query(`SELECT * FROM weighing WHERE bon_id = '${bon.bonId}'`)).toHaveLength(0);
  }, 60_000);

  it('refuses malformed bodies with the field named, and loses nothing else', async () => {
    const r = await call<KioskRefusal>('POST', '/api/v1/kiosk/bons', { direction: 'sideways', collectType: 'debarras' });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/direction/);
    expect((await call<KioskRefusal>('POST', '/api/v1/kiosk/bons', { direction: 'in', collectType: 'apport-volontaire', extra: 1 })).status).toBe(400);
    expect((await call<KioskRefusal>('POST', '/api/v1/kiosk/scales/nope/category', { category: 'textile' })).status).toBe(404);
    const bon = await openBon({ direction: 'in', collectType: 'apport-volontaire' });
    expect((await call<KioskRefusal>('POST', '/api/v1/kiosk/bons', { direction: 'in', collectType: 'apport-volontaire' })).body.error).toBe('bon-already-open');
    const line = await weighBox(2.5, 'autre', 'tap-first');
    expect((await call<KioskBon>('POST', `/api/v1/kiosk/bons/${bon.bonId}/close`, {})).body.lines).toEqual([line]);
  }, 30_000);
});
