import { once } from 'node:events';
import { EventSource } from 'eventsource';
import type { KioskBon, KioskNotice, KioskState } from '../edge-agent/kiosk/kiosk-types.js';
import { SIMULATED_SCALE_ID } from '../cli/up.js';
import { launchChromium } from '../tests/helpers/chromium.js';
import { jsonApi } from '../tests/helpers/http.js';
import { readyAtZero } from '../tests/helpers/kiosk.js';
import { startTestStack } from '../tests/helpers/up-stack.js';
import { waitFor } from '../tests/helpers/wait.js';
import { fmt, summary } from './stats.js';

const LINES = Number(process.env.BENCH_BON_LINES ?? 20);
const CATEGORIES = ['textile', 'livres', 'mobilier', 'deee', 'quincaillerie'];

/**
 * Time from the simulated scale's first stable frame to the line on the bon, as the counter sees it: on
 * the kiosk page in headless Chromium at a tablet viewport (a MutationObserver reports each new line).
 * The category is tapped before the box goes on, as at the counter. Also printed: the line taken by the
 * agent (fsync'd in its outbox) and its arrival on the kiosk's event stream. The reference in the same
 * run is a bare HTTP round trip from the page to the agent.
 */
export async function benchStableToBon(): Promise<void> {
  const stack = await startTestStack({ simulation: { capture: 'bon' } }, { attendant: false });
  const scale = stack.simulatedScale!;
  const call = jsonApi(() => stack.agent.httpUrl);
  const browser = await launchChromium();
  const stream = new EventSource(`${stack.agent.httpUrl}/api/v1/kiosk/stream`);
  try {
    const page = await browser.newPage({ viewport: { width: 800, height: 1280 }, hasTouch: true, isMobile: true });
    const onPage: number[] = [];
    await page.exposeFunction('benchLineShown', () => onPage.push(performance.now()));
    await page.goto(stack.agent.httpUrl);
    const { body: bon } = await call<KioskBon>('POST', '/api/v1/kiosk/bons', { direction: 'in', collectType: 'apport-volontaire' });
    await page.getByTestId('bon').waitFor();
    // A redraw puts old lines back too: only a line id never shown before counts. (A string: the bench
    // is compiled for Node, without the DOM's types.)
    await page.evaluate(`{
      const shownIds = new Set();
      new MutationObserver(() => {
        for (const el of document.querySelectorAll('[data-testid="line"]')) {
          const id = el.getAttribute('data-line-id');
          if (id && !shownIds.has(id)) {
            shownIds.add(id);
            window.benchLineShown();
          }
        }
      }).observe(document.body, { childList: true, subtree: true, attributes: true });
    }`);
    const onStream: number[] = [];
    let seen = 0;
    stream.addEventListener('state', (e) => {
      const lines = (JSON.parse(e.data) as KioskState).bon?.lines.length ?? 0;
      if (lines > seen) onStream.push(performance.now());
      seen = Math.max(seen, lines);
    });

    const agent: number[] = [];
    const stream_: number[] = [];
    const shown: number[] = [];
    for (let i = 0; i < LINES; i++) {
      await waitFor('the scale back at zero', () => readyAtZero(stack.agent.desk.scales()[0]));
      await call('POST', `/api/v1/kiosk/scales/${SIMULATED_SCALE_ID}/category`, { category: CATEGORIES[i % CATEGORIES.length] });
      const kg = Math.round((1 + ((i * 7.3) % 25)) * 100) / 100;
      const stableAt = once(scale, 'firstStableFrame').then(() => performance.now());
      const takenAt = (async () => {
        for (;;) {
          const [n] = (await once(stack.agent.desk, 'notice')) as [KioskNotice];
          if (n.code === 'line-taken') return performance.now();
        }
      })();
      const [pageBefore, streamBefore] = [onPage.length, onStream.length];
      scale.load(kg);
      const t0 = await stableAt;
      agent.push((await takenAt) - t0);
      await waitFor('the line on the page', () => onPage.length > pageBefore, 10_000);
      await waitFor('the line on the stream', () => onStream.length > streamBefore, 10_000);
      shown.push(onPage[pageBefore]! - t0);
      stream_.push(onStream[streamBefore]! - t0);
      scale.unload();
    }
    await call('POST', `/api/v1/kiosk/bons/${bon.bonId}/close`, {});

    // Reference: the page asks the agent for its state and gets the answer (same machine, same moment).
    const reference: number[] = [];
    for (let i = 0; i < LINES; i++) {
      reference.push(
        await page.evaluate(async () => {
          const t0 = performance.now();
          await (await fetch('/api/v1/kiosk/state')).json();
          return performance.now() - t0;
        }),
      );
    }

    const s = summary(shown);
    const a = summary(agent);
    const st = summary(stream_);
    const ref = summary(reference);
    console.log(`\nstable frame → line on the bon (${s.n} lines, kiosk page in headless Chromium, 800×1280 touch)`);
    console.log(`  on the page    median ${fmt(s.median)}   p95 ${fmt(s.p95)}   min ${fmt(s.min)}   max ${fmt(s.max)}`);
    console.log(`  on the stream  median ${fmt(st.median)}   p95 ${fmt(st.p95)}   (the kiosk's SSE state event)`);
    console.log(`  at the agent   median ${fmt(a.median)}   p95 ${fmt(a.p95)}   (line taken, fsync'd in the outbox)`);
    console.log(`  reference      median ${fmt(ref.median)}   p95 ${fmt(ref.p95)}   (the page's GET /api/v1/kiosk/state round trip)`);
    console.log(`  ratio on-the-page / reference (medians): ${(s.median / ref.median).toFixed(1)}`);
  } finally {
    stream.close();
    await browser.close();
    await stack.stop();
  }
}
