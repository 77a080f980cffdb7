import type { KioskState } from '../../kiosk-types.js';
import { button, h } from '../../../../web-kit/dom.js';
import { t } from './store.js';

/** One dialog over the page at a time: it paints itself from its own state, not from every state the agent sends. */
export interface ModalSpec {
  testid: string;
  paint: () => (Node | string)[];
  /** Closes the dialog when the counter's state makes it moot (the bon it was about is gone…). */
  closeWhen?: (state: KioskState) => boolean;
  /** A wider sheet (the keypad). */
  wide?: boolean;
}

export interface Modal {
  repaint(): void;
  close(): void;
}

let current: { spec: ModalSpec; sheet: HTMLElement } | null = null;

function root(): HTMLElement {
  let el = document.getElementById('modal-root');
  if (!el) {
    el = h('div', { id: 'modal-root', class: 'modal-root' });
    document.body.append(el);
  }
  return el;
}

export function openModal(spec: ModalSpec): Modal {
  const sheet = h('div', { class: `sheet${spec.wide ? ' sheet-wide' : ''}`, role: 'dialog', 'aria-modal': 'true', 'data-testid': spec.testid });
  const mine = { spec, sheet };
  current = mine;
  const el = root();
  el.replaceChildren(sheet);
  el.hidden = false;
  document.body.classList.add('has-modal');
  const repaint = () => {
    if (current === mine) sheet.replaceChildren(...spec.paint());
  };
  repaint();
  return {
    repaint,
    close: () => {
      if (current === mine) closeModal();
    },
  };
}

export function closeModal(): void {
  current = null;
  const el = root();
  el.replaceChildren();
  el.hidden = true;
  document.body.classList.remove('has-modal');
}

/** Called with every state from the agent. */
export function checkModal(state: KioskState): void {
  if (current?.spec.closeWhen?.(state)) closeModal();
}

/** Repaints the open dialog (after a language change). */
export function repaintModal(): void {
  if (current) current.sheet.replaceChildren(...current.spec.paint());
}

/** « Oui / Non »: `onYes` runs after the dialog is closed. */
export function confirmDialog(question: string, detail: string, onYes: () => void, closeWhen?: (s: KioskState) => boolean): void {
  const modal = openModal({
    testid: 'confirm',
    ...(closeWhen ? { closeWhen } : {}),
    paint: () => [
      h('p', { class: 'sheet-question' }, question),
      ...(detail ? [h('p', { class: 'sheet-detail' }, detail)] : []),
      h(
        'div',
        { class: 'sheet-actions' },
        button({ class: 'btn btn-big btn-secondary', 'data-testid': 'confirm-no' }, t('no'), () => modal.close()),
        button({ class: 'btn btn-big btn-danger', 'data-testid': 'confirm-yes' }, t('yes'), () => {
          modal.close();
          onYes();
        }),
      ),
    ],
  });
}

/** The header of a dialog: its title and a « Fermer » button. */
export function sheetHead(title: string, modal: () => Modal, sub?: string): HTMLElement {
  return h(
    'div',
    { class: 'sheet-head' },
    h('div', { class: 'sheet-titles' }, h('h2', { class: 'sheet-title' }, title), ...(sub ? [h('p', { class: 'sheet-sub' }, sub)] : [])),
    button({ class: 'btn btn-secondary btn-close', 'data-testid': 'modal-close' }, t('close'), () => modal().close()),
  );
}
