import type { ScaleState } from '../../../../protocol/messages.js';
import type { KioskLiveEvent, KioskScale } from '../../kiosk-types.js';
import { act } from './actions.js';
import { api } from './api.js';
import { forgetDrawn, h, redraw, setAttr, setText } from '../../../../web-kit/dom.js';
import { active, app, decimalsOf, formatKg, label, labelOf, rerender, scales, t, targetScale } from './store.js';

interface Panel {
  root: HTMLElement;
  badge: HTMLElement;
  weight: HTMLElement;
  step: HTMLElement;
  target: HTMLElement;
  select: HTMLSelectElement;
  /** Decimals shown, the most a reading came with: the figure does not jump between 12,5 and 12,55. */
  decimals: number;
}

const panels = new Map<string, Panel>();

function buildPanel(id: string): Panel {
  const badge = h('span', { class: 'badge', 'data-testid': `live-state-${id}` });
  const weight = h('span', { class: 'weight', 'data-testid': `live-weight-${id}` });
  const step = h('p', { class: 'step', 'aria-live': 'polite' });
  const target = h('span', { class: 'target-mark' });
  const select = h('select', { class: 'container-select', 'data-testid': `container-select-${id}` });
  select.addEventListener('change', () => void act(`container-${id}`, () => api.setContainer(id, select.value || null), { scale: id }));
  const root = h(
    'article',
    { class: 'scale', 'data-testid': `scale-${id}` },
    h('div', { class: 'scale-head' }, h('span', { class: 'scale-name' }, id), target, badge),
    h('div', { class: 'scale-weight' }, weight, h('span', { class: 'unit' }, 'kg')),
    step,
    h('label', { class: 'container-row' }, h('span', { class: 'container-label' }), select),
  );
  // Tapping a panel makes it the scale the category buttons weigh on.
  root.addEventListener('click', () => {
    if (app.target === id) return;
    app.target = id;
    rerender();
  });
  return { root, badge, weight, step, target, select, decimals: 1 };
}

/** What the screen shows of a scale's state: offline too when the screen cannot hear the agent. */
function shownState(s: KioskScale): ScaleState {
  return app.stream === 'open' ? s.live.state : 'offline';
}

function renderLive(p: Panel, s: KioskScale): void {
  const state = shownState(s);
  const kg = s.live.kg;
  if (kg !== null) p.decimals = Math.max(p.decimals, decimalsOf(kg));
  setAttr(p.root, 'data-state', state);
  setAttr(p.badge, 'data-state', state);
  setText(p.badge, t(`state.${state}`));
  setAttr(p.weight, 'data-kg', kg === null ? '' : String(kg));
  setText(p.weight, kg === null ? '—' : formatKg(kg, p.decimals, p.decimals));
}

function stepText(s: KioskScale): string {
  const bonOpen = !!app.kiosk?.bon;
  if (!bonOpen && (s.step === 'idle' || s.step === 'awaiting-category' || s.step === 'armed')) return t('step.noBon');
  if (s.step === 'armed') return t('step.armed', { category: labelOf('categories', s.armedCategory) });
  return t(`step.${s.step}`);
}

function renderContainers(p: Panel, s: KioskScale): void {
  const containers = active(app.kiosk?.taxonomy.containers ?? []);
  const key = JSON.stringify([app.lang, containers.map((c) => [c.id, c.label, c.tareKg])]);
  redraw(p.select, key, () => [
    h('option', { value: '' }, t('container.none')),
    ...containers.map((c) => h('option', { value: c.id }, t('container.option', { label: label(c.label, c.id), kg: formatKg(c.tareKg, 0, 3) }))),
  ]);
  const value = s.container ?? '';
  if (p.select.value !== value) p.select.value = value;
  setText(p.root.querySelector('.container-label')!, t('container.label'));
}

function renderPanel(p: Panel, s: KioskScale, multiple: boolean, isTarget: boolean): void {
  renderLive(p, s);
  setAttr(p.root, 'data-step', s.step);
  setAttr(p.root, 'data-target', String(multiple && isTarget));
  setText(p.step, stepText(s));
  setText(p.target, multiple ? t(isTarget ? 'scale.target' : 'scale.tapToTarget') : '');
  renderContainers(p, s);
}

export function renderScales(container: HTMLElement): void {
  const list = scales();
  if (!list.length) {
    panels.clear();
    redraw(container, `none|${app.lang}`, () => [h('p', { class: 'empty' }, t('scale.none'))]);
    return;
  }
  forgetDrawn(container);
  const target = targetScale()?.id;
  for (const s of list) {
    let p = panels.get(s.id);
    if (!p) panels.set(s.id, (p = buildPanel(s.id)));
    renderPanel(p, s, list.length > 1, s.id === target);
  }
  for (const id of panels.keys()) if (!list.some((s) => s.id === id)) panels.delete(id);
  const ordered = list.map((s) => panels.get(s.id)!.root);
  if (ordered.length !== container.children.length || ordered.some((el, i) => container.children[i] !== el)) container.replaceChildren(...ordered);
  container.dataset.count = String(list.length);
}

/** A weight from the stream (several a second): only that scale's figure and badge change. */
export function applyLive(live: KioskLiveEvent): void {
  const s = scales().find((x) => x.id === live.scale);
  if (!s) return;
  s.live = { kg: live.kg, state: live.state };
  const p = panels.get(live.scale);
  if (p) renderLive(p, s);
}
