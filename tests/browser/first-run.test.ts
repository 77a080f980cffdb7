import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../cli/up-demo.js';
import type { BilanReport, CollecteReport, FrequentationReport, SortiesReport, TodayReport } from '../../dashboards/reports/report-types.js';
import { yearScenario } from '../../firmware-sim/scenarios/year-scenario.js';
import { ingestConfigSchema } from '../../ingest/config.js';
import { openStore } from '../../storage/open-store.js';
import { createLogger } from '../../runtime/log.js';
import { launchChromium } from '../helpers/chromium.js';
import { dashboardsSession, jsonApi } from '../helpers/http.js';
import { startTestStack, TEST_ADMIN, type TestStack } from '../helpers/up-stack.js';

const ZONE = 'Europe/Paris';
const SHOTS = join(process.cwd(), 'test-results', 'screenshots');
const plain = (s: string | null) => (s ?? '').replace(/\s+/g, ' ').trim();
/** A figure as the page writes it (« 1 234,5 kg »), as a number. */
const figure = (s: string | null) => Number((s ?? '').replace(/[^\d,-]/g, '').replace(',', '.'));

async function signIn(page: Page, url: string, user: { name: string; password: string }): Promise<void> {
  await page.goto(url);
  await page.fill('[data-testid="login-name"]', user.name);
  await page.fill('[data-testid="login-password"]', user.password);
  await page.click('[data-testid="login-submit"]');
  await page.locator('[data-testid="nav"] a').first().waitFor();
}

let browser: Browser;
beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/**
 * What `npm start` shows a new user: the simulated shop (scale, door counter, attendant) through the real
 * drivers and the whole pipeline. The shop runs at 60× here (its default is docs/domain.md's own pace, which
 * a unit test of the scenario checks), so that the minutes of a first start pass in seconds.
 */
describe('first start: the simulated shop moves every card of « Aujourd\'hui » and « Sorties »', () => {
  let stack: TestStack;
  let page: Page;
  const today = DateTime.now().setZone(ZONE).toISODate() as string;

  beforeAll(async () => {
    stack = await startTestStack({ site: { id: 'ma-ressourcerie', name: 'Ressourcerie des Lilas', timeZone: ZONE }, simulation: { speed: 60, seed: 4 } });
    page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: 'fr-FR', timezoneId: ZONE });
  }, 120_000);
  afterAll(async () => {
    await page?.close();
    await stack?.stop();
  });

  it('visitors and who is in the shop, from the door counter through its driver; kilograms in and out; a valorisation rate', async () => {
    const api = stack.dashboardsApi;
    // Stored figures first (each door bucket is a minute long): visitors, some still inside, goods in and out.
    const stored = async () => {
      const [t, s] = await Promise.all([api<TodayReport>('GET', '/api/v1/reports/today'), api<SortiesReport>('GET', `/api/v1/reports/sorties?from=${today}&to=${today}`)]);
      return { today: t.body, sorties: s.body };
    };
    // Who is inside goes up and down as people come and go: it must be seen above zero at some point, not
    // necessarily at the moment the last outgoing weighing is stored.
    let seen = await stored();
    let occupied = false;
    for (const deadline = Date.now() + 150_000; Date.now() < deadline; ) {
      seen = await stored();
      occupied ||= seen.today.visitors.occupancy > 0;
      if (seen.today.visitors.in > 0 && occupied && seen.today.totalKg > 0 && Object.keys(seen.sorties.byDestination).length >= 2) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(seen.today.visitors.in).toBeGreaterThan(0);
    expect(occupied).toBe(true);
    // Every visitor stored was counted by the simulated door, none twice.
    expect(seen.today.visitors.in).toBeLessThanOrEqual(stack.simulatedDoor!.counted.in);
    expect(seen.sorties.valorisation.outKg).toBeGreaterThan(0);
    expect(seen.sorties.valorisation.rate).toBeGreaterThan(0);
    // What leaves is what came in: the rate is a rate, not 260 %.
    expect(seen.sorties.valorisation.rate).toBeLessThanOrEqual(1);
    expect(Object.keys(seen.sorties.byDestination).length).toBeGreaterThanOrEqual(2);

    await signIn(page, stack.dashboardsUrl, TEST_ADMIN);
    await page.goto(`${stack.dashboardsUrl}/#/aujourdhui`);
    await expect.poll(() => page.textContent('[data-testid="today-visitors"] .key-number').then(figure), { timeout: 45_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.textContent('[data-testid="today-occupancy"] .key-number').then(figure), { timeout: 45_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.textContent('[data-testid="today-total"]').then(figure)).toBeGreaterThan(0);
    // The door counter is a device of the agent like the scale, read through its driver.
    await page.goto(`${stack.dashboardsUrl}/#/appareils`);
    await expect.poll(() => page.locator('[data-device="porte-entree"]').count(), { timeout: 45_000 }).toBeGreaterThan(0);
    await page.goto(`${stack.dashboardsUrl}/#/aujourdhui`);
    await expect.poll(() => page.textContent('[data-testid="today-visitors"] .key-number').then(figure)).toBeGreaterThan(0);
    await page.waitForTimeout(600); // charts animate
    await page.screenshot({ path: join(SHOTS, 'first-run-aujourdhui-1366x768.png'), fullPage: true });

    await page.goto(`${stack.dashboardsUrl}/#/sorties?from=${today}&to=${today}&bucket=day`);
    await expect.poll(() => page.textContent('[data-testid="sorties-out"] .key-number').then(figure)).toBeGreaterThan(0);
    const rate = figure(plain(await page.textContent('[data-testid="sorties-rate"] .key-number')));
    expect(rate).toBeGreaterThan(0);
    expect(rate).toBeLessThanOrEqual(100);
    expect(plain(await page.textContent('[data-testid="sorties-rate"] .key-number'))).toMatch(/^\d{1,3},\d %$/);
    await page.waitForTimeout(600);
    await page.screenshot({ path: join(SHOTS, 'first-run-sorties-1366x768.png'), fullPage: true });
    // Not a demonstration: no ribbon, on the dashboards or on the kiosk.
    expect(await page.isVisible('[data-testid="demo-ribbon"]')).toBe(false);
    await page.goto(stack.agent.httpUrl);
    await page.locator('[data-testid="kiosk-site"]').filter({ hasText: 'Ressourcerie des Lilas' }).waitFor();
    expect(await page.isVisible('[data-testid="kiosk-demo"]')).toBe(false);
  }, 240_000);
});

/**
 * `npm start -- --demo`: the same system on a data folder of its own, filled with a calibrated past year and
 * this year to date, that says on every page it is a demonstration.
 */
describe('npm start -- --demo: a year of use, with last year to compare', () => {
  let stack: TestStack;
  let page: Page;
  const now = DateTime.now().setZone(ZONE);
  const lastYear = now.year - 1;
  const yesterday = now.minus({ days: 1 }).toISODate() as string;

  beforeAll(async () => {
    stack = await startTestStack({ demo: true, site: { id: 'ma-ressourcerie', name: 'Ressourcerie des Lilas', timeZone: ZONE } });
    page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: 'fr-FR', timezoneId: ZONE });
  }, 240_000);
  afterAll(async () => {
    await page?.close();
    await stack?.stop();
  });

  it('runs on its own data folder and database, with an account of its own', () => {
    expect(stack.dataDir).toMatch(/-demo$/);
    expect(stack.demoAccount?.name).toBe('demo');
    expect(stack.demoAccount?.password.length).toBeGreaterThanOrEqual(10);
  });

  it('holds last year to the gram and this year up to yesterday, as the calibrated year made them', async () => {
    const api = jsonApi(() => stack.dashboardsUrl, { cookie: () => dashboardsSession(stack.dashboardsUrl, stack.demoAccount!) });
    const last = yearScenario({ year: lastYear, timeZone: ZONE, seed: lastYear }).truth;
    const bilan = await api<BilanReport>('GET', `/api/v1/reports/bilan?year=${lastYear}`);
    expect(bilan.status).toBe(200);
    expect(Math.round(bilan.body.totals.collectedKg * 1000)).toBe(last.collectedGrams);
    expect(bilan.body.customers).toBe(last.customers);
    expect(bilan.body.totals.rate).toBeGreaterThan(0.85);

    const current = yearScenario({ year: now.year, timeZone: ZONE, seed: now.year }).truth;
    const toDate = Object.entries(current.collectedGramsByDate).reduce((g, [date, grams]) => g + (date <= yesterday ? grams : 0), 0);
    const collecte = await api<CollecteReport>('GET', `/api/v1/reports/collecte?from=${now.year}-01-01&to=${yesterday}&bucket=month`);
    // A miss says which days, so that a run under load that comes out short shows where.
    const wrongDays = async () => {
      const daily = await api<CollecteReport>('GET', `/api/v1/reports/collecte?from=${now.year}-01-01&to=${yesterday}&bucket=day`);
      const shown = new Map(daily.body.buckets.map((b) => [b.start, Math.round(b.totalKg * 1000)]));
      return Object.entries(current.collectedGramsByDate)
        .filter(([date, grams]) => date <= yesterday && shown.get(date) !== grams)
        .map(([date, grams]) => `${date}: ${shown.get(date)} g shown, ${grams} g written`);
    };
    const thisYear = Math.round(collecte.body.totals.kg * 1000);
    expect(thisYear, thisYear === toDate ? '' : (await wrongDays()).join('; ')).toBe(toDate);
    // Last year is there to compare with, for the same dates.
    expect(collecte.body.lastYear.kg).toBeGreaterThan(0);
    const visitors = await api<FrequentationReport>('GET', `/api/v1/reports/frequentation?from=${now.year}-01-01&to=${yesterday}&bucket=month`);
    expect(visitors.body.totals.visitors).toBe(Object.entries(current.customersByDate).reduce((n, [date, c]) => n + (date <= yesterday ? c : 0), 0));

    // A second start fills nothing more: every day already holds its figures.
    const ingest = ingestConfigSchema.parse({ influx: { ...stack.influx, database: 'trebuchet_demo' }, timeZone: ZONE });
    const again = await seedDemo(openStore(ingest.influx), ingest, { site: 'ma-ressourcerie', agent: 'comptoir' }, createLogger('silent'));
    expect(again).toMatchObject({ weighings: 0, visits: 0, bons: 0 });
    const after = await api<BilanReport>('GET', `/api/v1/reports/bilan?year=${lastYear}`);
    expect(Math.round(after.body.totals.collectedKg * 1000)).toBe(last.collectedGrams);
  }, 120_000);

  it('says it is a demonstration on every page, the login too, and shows the year against the last', async () => {
    await page.goto(stack.dashboardsUrl);
    await expect.poll(() => page.isVisible('[data-testid="demo-ribbon"]')).toBe(true);
    expect(plain(await page.textContent('[data-testid="demo-ribbon"]'))).toMatch(/^Démonstration données simulées/);
    await signIn(page, stack.dashboardsUrl, stack.demoAccount!);
    await expect.poll(() => page.title()).toMatch(/^Démonstration · /);

    await page.goto(`${stack.dashboardsUrl}/#/collecte?from=${now.year}-01-01&to=${yesterday}&bucket=month`);
    await expect.poll(() => page.textContent('[data-testid="collecte-total"] .key-number').then(figure)).toBeGreaterThan(100);
    expect(figure(plain(await page.textContent('[data-testid="collecte-last-year"] .key-number')))).toBeGreaterThan(100);
    expect(await page.isVisible('[data-testid="demo-ribbon"]')).toBe(true);
    // The donors' districts have their names (the demo lists the calibrated year's when the site lists none).
    expect(plain(await page.textContent('[data-testid="collecte-provenances"]'))).toContain('Montreuil');
    await page.waitForTimeout(600);
    await page.screenshot({ path: join(SHOTS, 'demo-collecte-1366x768.png'), fullPage: true });

    await page.goto(`${stack.dashboardsUrl}/#/frequentation?from=${now.year}-01-01&to=${yesterday}&bucket=month`);
    await expect.poll(() => page.textContent('[data-testid="frequentation-visitors"] .key-number').then(figure)).toBeGreaterThan(1000);
    expect(figure(plain(await page.textContent('[data-testid="frequentation-last-year"] .key-number')))).toBeGreaterThan(1000);
    await page.waitForTimeout(600);
    await page.screenshot({ path: join(SHOTS, 'demo-frequentation-1366x768.png'), fullPage: true });

    await page.goto(`${stack.dashboardsUrl}/#/bilan?year=${lastYear}`);
    // Tonnes, as a funder reads them.
    await expect.poll(() => page.textContent('[data-testid="bilan-collected"] .key-number').then(plain)).toMatch(/^\d{3},\d t$/);
    await page.waitForTimeout(600);
    await page.screenshot({ path: join(SHOTS, 'demo-bilan-1366x768.png'), fullPage: true });

    // The counter's kiosk says it too: nobody should weigh real goods on a demonstration.
    await page.goto(stack.agent.httpUrl);
    await expect.poll(() => page.isVisible('[data-testid="kiosk-demo"]')).toBe(true);
    expect(plain(await page.textContent('[data-testid="kiosk-demo"]'))).toMatch(/^Démonstration balance, compteur et donateurs simulés/);
  }, 120_000);
});
