import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { InfluxDB } from 'influx';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATED_SCALE_ID } from '../../cli/up.js';
import { startTestStack } from '../helpers/up-stack.js';
import { launchChromium } from '../helpers/chromium.js';
import { readyAtZero } from '../helpers/kiosk.js';
import { waitFor } from '../helpers/wait.js';
import { createInflux } from '../../runtime/influx-client.js';

const SHOTS = join(process.cwd(), 'test-results', 'screenshots');
const SCALE = SIMULATED_SCALE_ID;
/** HH:MM on the site's clock (the stack's site is in Europe/Paris), as the kiosk must show it. */
const siteHhmm = (iso: string) => new Intl.DateTimeFormat('fr-FR', { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Paris' }).format(new Date(iso));

/**
 * The counter's kiosk as the attendant uses it: a 7–10" tablet (800×1280, touch), the page served by the
 * agent, the simulated scale of `trebuchet up`, every tap a touch. The stored points are checked in InfluxDB.
 */
describe('the drop-off kiosk on a tablet', () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let browser: Browser;
  let page: Page;
  let influx: InfluxDB;

  const tid = (id: string) => page.getByTestId(id);
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `kiosk-${name}.png`) });
  const step = () => tid(`scale-${SCALE}`).getAttribute('data-step');
  const lines = () => page.locator('[data-testid="line"]');
  const atZero = async () => {
    stack.simulatedScale!.unload();
    await expect.poll(step, { timeout: 10_000 }).toMatch(/^(idle|armed)$/);
  };
  /** Taps the category, puts the box on the scale, waits for its line on the screen, takes the box off. */
  const lineIds = async () => new Set(await lines().evaluateAll((els) => els.map((e) => e.getAttribute('data-line-id') ?? '')));
  /** The line that was not on the bon before (the list's order is the page's business). */
  const newLine = async (before: Set<string>) => {
    await expect.poll(() => lines().count(), { timeout: 10_000 }).toBe(before.size + 1);
    const id = [...(await lineIds())].find((i) => !before.has(i))!;
    return page.locator(`[data-testid="line"][data-line-id="${id}"]`);
  };
  const weigh = async (category: string, kg: number, expectedNetKg = kg) => {
    const before = await lineIds();
    await tid(`category-${category}`).tap();
    await expect.poll(() => tid(`category-${category}`).getAttribute('data-armed')).toBe('true');
    stack.simulatedScale!.load(kg);
    const line = await newLine(before);
    expect(await line.getAttribute('data-category')).toBe(category);
    expect(Number(await line.getAttribute('data-kg'))).toBeCloseTo(expectedNetKg, 6);
    await atZero();
    return line;
  };
  /** Weighings read once all the agent sent is acknowledged, so that no point is caught half-written. */
  const stored = async (where: string) => {
    await stack.acknowledged();
    return influx.query<Record<string, unknown>>(`SELECT * FROM weighing WHERE ${where}`);
  };

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    stack = await startTestStack(
      {
        site: { id: 'lilas', name: 'Ressourcerie des Lilas', timeZone: 'Europe/Paris' },
        simulation: { capture: 'bon', maxKg: 60 },
        taxonomy: { districts: [{ id: 'centre', label: 'Centre-ville' }, { id: 'gare', label: 'Quartier de la gare' }] },
      },
      { attendant: false, simulatedScale: { settleMs: [300, 600], intervalMs: 50 } },
    );
    influx = createInflux(stack.influx);
    browser = await launchChromium();
    // The tablet's clock on UTC, the site on Europe/Paris: the page must show the site's times.
    page = await browser.newPage({ viewport: { width: 800, height: 1280 }, hasTouch: true, isMobile: true, locale: 'fr-FR', timezoneId: 'UTC' });
    await page.goto(stack.agent.httpUrl);
    await waitFor('the kiosk connected', async () => (await tid('kiosk-link').getAttribute('data-state')) === 'connected');
    await waitFor('the scale at zero', () => readyAtZero(stack.agent.desk.scales()[0]));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('runs a whole bon: five lines from the scale, a tare, a cancelled line, a typed line, then validates it', async () => {
    expect(await tid('kiosk-site').textContent()).toBe('Ressourcerie des Lilas');
    await shot('1-accueil');
    // « Nouveau bon » → how the goods came → the donor's district → a comment → open.
    await tid('new-bon-in').tap();
    await tid('collect-type-apport-volontaire').tap();
    await tid('district-gare').tap();
    await tid('bon-comment').fill('Déménagement, 3e étage');
    await tid('bon-open-confirm').tap();
    await expect.poll(() => tid('bon').getAttribute('data-bon-id')).toMatch(/^comptoir-\d{8}-001-[0-9a-f]{6}$/);
    const bonId = (await tid('bon').getAttribute('data-bon-id'))!;
    await shot('2-bon-ouvert');

    // The live weight moves, then settles; the line appears by itself once stable.
    await tid('category-textile').tap();
    stack.simulatedScale!.load(4.2);
    await expect.poll(() => tid(`live-state-${SCALE}`).getAttribute('data-state'), { timeout: 5_000 }).toBe('moving');
    await shot('3-en-mouvement');
    await expect.poll(() => lines().count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => tid(`live-state-${SCALE}`).getAttribute('data-state')).toBe('stable');
    await expect.poll(step).toBe('taken');
    // The line's time is the capture time on the site's clock (Paris is never UTC's hour), not the tablet's.
    const first = stack.agent.desk.bon!.lines[0]!;
    expect(await page.locator(`[data-testid="line"][data-line-id="${first.id}"] .line-time`).textContent()).toBe(siteHhmm(first.weighing.capturedAt));
    await shot('4-pesee-prise');
    await atZero();

    await weigh('livres', 7.5);
    // A grey bin of 2.4 kg: its tare comes off.
    await tid(`container-select-${SCALE}`).selectOption('bac');
    const inBin = await weigh('quincaillerie', 12.4, 10);
    expect(await inBin.textContent()).toMatch(/2,4/);
    await tid(`container-select-${SCALE}`).selectOption('');
    await weigh('deee', 3.05);
    await weigh('jouets', 1.1);

    // A wrong line: one tap, a confirmation, and it stays on the bon struck through.
    const wrong = await weigh('mobilier', 9.99);
    await wrong.getByTestId('line-void').tap();
    await tid('confirm-yes').waitFor({ state: 'visible' });
    await shot('5-confirmer-annulation');
    await tid('confirm-yes').tap();
    await expect.poll(() => wrong.getAttribute('data-voided')).toBe('true');
    await expect.poll(() => tid('bon-total').getAttribute('data-kg').then(Number)).toBeCloseTo(25.85, 6);

    // A typed weight: a comma alone is refused with its reason; 12,5 goes on the bon marked as typed.
    await tid('type-weight').tap();
    await tid('typed-category-livres').tap();
    await tid('key-comma').tap();
    await tid('typed-submit').tap();
    await expect.poll(() => tid('notice').getAttribute('data-code')).toBe('not-a-number');
    await shot('6-refus-saisie');
    for (const k of ['key-erase', 'key-1', 'key-2', 'key-comma', 'key-5']) await tid(k).tap();
    await expect.poll(() => tid('typed-value').textContent()).toMatch(/12,5/);
    const beforeTyped = await lineIds();
    await tid('typed-submit').tap();
    const typed = await newLine(beforeTyped);
    expect(await typed.getAttribute('data-source')).toBe('manual');
    await expect.poll(() => tid('bon-total').getAttribute('data-kg').then(Number)).toBeCloseTo(38.35, 6);
    await shot('7-bon-complet');

    await tid('bon-close').tap();
    await tid('bon-summary').waitFor({ state: 'visible' });
    await expect.poll(() => tid('bon-summary').textContent()).toMatch(/38,35/);
    await shot('8-bon-valide');
    // The latest bons list it at its closing time, on the site's clock too.
    const closed = stack.agent.desk.recent.find((b) => b.bonId === bonId)!;
    await expect.poll(() => page.locator(`[data-testid="recent-bons"] [data-bon-id="${bonId}"] .recent-time`).textContent()).toBe(siteHhmm(closed.closedAt!));

    // InfluxDB: six lines and the void entry; the cancelled line nets to zero in every sum.
    const rows = await stored(`bon_id = '${bonId}'`);
    expect(rows).toHaveLength(8);
    expect(rows.filter((r) => r.entry === 'void').map((r) => [r.category, r.net_kg])).toEqual([['mobilier', -9.99]]);
    expect(rows.every((r) => r.district === 'gare' && r.collect_type === 'apport-volontaire')).toBe(true);
    const [total] = await influx.query<{ sum: number }>(`SELECT sum(net_kg) FROM weighing WHERE bon_id = '${bonId}'`);
    expect(total!.sum).toBeCloseTo(38.35, 6);
    const [mobilier] = await influx.query<{ sum: number }>(`SELECT sum(net_kg) FROM weighing WHERE bon_id = '${bonId}' AND category = 'mobilier'`);
    expect(mobilier!.sum).toBeCloseTo(0, 9);
    const bons = await influx.query(`SELECT * FROM bons WHERE bon_id = '${bonId}'`);
    expect(bons).toHaveLength(1);
    expect(bons[0]).toMatchObject({ lines: 6, net_kg: 38.35, comment: 'Déménagement, 3e étage' });
  }, 120_000);

  it('refuses a load with no category and one above the scale maximum, saying why on the screen', async () => {
    await tid('new-bon-in').tap();
    await tid('collect-type-debarras').tap();
    await tid('district-skip').tap();
    await tid('bon-open-confirm').tap();
    await tid('bon').waitFor({ state: 'visible' });
    stack.simulatedScale!.load(5);
    await expect.poll(step, { timeout: 10_000 }).toBe('awaiting-category');
    await expect.poll(() => tid('notice').getAttribute('data-code')).toBe('no-category');
    await shot('9-choisir-categorie');
    await atZero();
    await tid('category-mobilier').tap();
    stack.simulatedScale!.load(80);
    await expect.poll(() => tid('notice').getAttribute('data-code'), { timeout: 10_000 }).toBe('over-max');
    expect(await tid('notice').getAttribute('data-kind')).toBe('refusal');
    await shot('10-refus-portee');
    await atZero();
    expect(await lines().count()).toBe(0);
    await tid('bon-abandon').tap();
    await tid('confirm-yes').tap();
    await tid('new-bon-in').waitFor({ state: 'visible' });
  }, 60_000);

  it('weighs outgoing goods by destination and recycling partner', async () => {
    await tid('new-bon-out').tap();
    await tid('destination-recyclage').tap();
    await tid('partner-filiere-textile').tap();
    await tid('bon-open-confirm').tap();
    const bonId = (await tid('bon').getAttribute('data-bon-id'))!;
    await weigh('textile', 23.4);
    await shot('11-sortie');
    await tid('bon-close').tap();
    await tid('bon-summary').waitFor({ state: 'visible' });
    const rows = await stored(`bon_id = '${bonId}'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ direction: 'out', destination: 'recyclage', partner: 'filiere-textile', net_kg: 23.4 });
  }, 60_000);

  it('keeps working while the broker is stopped, and the bon arrives once it is back', async () => {
    await stack.acknowledged();
    await stack.stopBroker();
    await expect.poll(() => tid('kiosk-link').getAttribute('data-state'), { timeout: 10_000 }).toBe('disconnected');
    await tid('new-bon-in').tap();
    await tid('collect-type-apport-volontaire').tap();
    await tid('district-centre').tap();
    await tid('bon-open-confirm').tap();
    const bonId = (await tid('bon').getAttribute('data-bon-id'))!;
    await weigh('textile', 6.6);
    await weigh('livres', 2.2);
    await expect.poll(() => tid('kiosk-outbox').textContent()).toMatch(/\b2\b/);
    await shot('12-hors-ligne');
    await tid('bon-close').tap();
    await tid('bon-summary').waitFor({ state: 'visible' });
    expect(await influx.query(`SELECT * FROM weighing WHERE bon_id = '${bonId}'`)).toHaveLength(0);

    await stack.restartBroker();
    await expect.poll(() => tid('kiosk-link').getAttribute('data-state'), { timeout: 20_000 }).toBe('connected');
    // Stored once: a resend after reconnecting overwrote its own point.
    const rows = await stored(`bon_id = '${bonId}'`);
    expect(rows.map((r) => [r.category, r.net_kg])).toEqual([
      ['textile', 6.6],
      ['livres', 2.2],
    ]);
    expect(await influx.query(`SELECT * FROM bons WHERE bon_id = '${bonId}'`)).toHaveLength(1);
  }, 90_000);

  it('speaks English when asked, and keeps the choice', async () => {
    await tid('lang-toggle').tap();
    await expect.poll(() => tid('new-bon-in').textContent()).toMatch(/bon|drop-off|slip/i);
    await page.reload();
    await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe('en');
    await shot('13-english');
    await tid('lang-toggle').tap();
    await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe('fr');
  }, 30_000);
});
