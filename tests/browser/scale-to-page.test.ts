import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack } from '../helpers/up-stack.js';
import { launchChromium } from '../helpers/chromium.js';
import { waitFor } from '../helpers/wait.js';

const SCREENSHOT = join(process.cwd(), 'test-results', 'screenshots', 'scale-to-page.png');

/**
 * The walking skeleton as a user sees it: the system `trebuchet up` starts (simulated TCP scale → agent →
 * broker → ingest → InfluxDB → dashboards), and a real Chromium watching the page while goods go on the scale.
 */
describe('from the simulated scale to the page', () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startTestStack({ site: { id: 'ma-ressourcerie', name: 'Ressourcerie des Lilas', timeZone: 'Europe/Paris' }, simulation: { capture: 'continuous' } }, { attendant: false });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'fr-FR', timezoneId: 'Europe/Paris' });
    // Signed in as the stack's test admin (the login form itself is tested in dashboard.test.ts).
    const cookie = await stack.dashboardsCookie();
    await context.addCookies([{ name: 'tb_session', value: cookie.slice('tb_session='.length), url: stack.dashboardsUrl }]);
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('shows the live weight moving and settling, then the weighing in today’s figures, without reload', async () => {
    const scale = stack.simulatedScale!;
    await page.goto(stack.dashboardsUrl);
    await expect.poll(() => page.getAttribute('[data-testid="connection-status"]', 'data-state')).toBe('live');
    await expect.poll(() => page.locator('[data-testid="daily-chart"] canvas').count()).toBeGreaterThan(0);
    await expect.poll(() => page.textContent('[data-testid="today-total"]')).toBe('0,0');
    await waitFor('the agent to be armed', () => stack.agent.devices.describeScales()[0]?.phase === 'armed');

    stack.agent.devices.selectCategory('balance-comptoir', 'livres');
    const loadedAt = Date.now();
    scale.load(8.42);
    const weight = page.locator('[data-testid="live-weight"][data-device="balance-comptoir"]');
    // The display moves before it settles: the page shows both states.
    await expect.poll(() => weight.locator('[data-testid="live-state"]').textContent(), { timeout: 5000 }).toBe('en mouvement');
    await expect.poll(() => weight.locator('[data-testid="live-weight-value"]').textContent(), { timeout: 5000 }).toBe('8,42');
    // The simulated scale settles 0.6–1.5 s after the load and may read 8,42 while still moving (vitest.config's poll timeout).
    await expect.poll(() => weight.locator('[data-testid="live-state"]').textContent()).toBe('stable');

    const row = page.locator('[data-testid="latest-weighings"] tbody tr').first();
    await expect.poll(() => row.textContent(), { timeout: 5000 }).toMatch(/Livres.*8,42/);
    await expect.poll(() => page.textContent('[data-testid="today-total"]')).toBe('8,4');
    expect(Date.now() - loadedAt).toBeLessThan(5000);

    await mkdir(join(process.cwd(), 'test-results', 'screenshots'), { recursive: true });
    await page.waitForTimeout(1000); // let the chart's and the card's transitions finish for the picture
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Back to zero: the page shows it, and the next load is a new weighing.
    scale.unload();
    await expect.poll(() => weight.locator('[data-testid="live-weight-value"]').textContent(), { timeout: 5000 }).toBe('0,00');
    await waitFor('the agent to re-arm', () => stack.agent.devices.describeScales()[0]?.phase === 'armed');
    stack.agent.devices.selectCategory('balance-comptoir', 'textile');
    scale.load(3.1);
    await expect.poll(() => page.textContent('[data-testid="today-total"]'), { timeout: 5000 }).toBe('11,5');
    await expect.poll(() => page.locator('[data-testid="latest-weighings"] tbody tr').count()).toBe(2);
  });
});
