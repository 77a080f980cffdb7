/** Small DOM helpers shared by the web pages: plain TypeScript, no framework. */

export function $(selector: string): HTMLElement {
  const el = document.querySelector<HTMLElement>(selector);
  if (!el) throw new Error(`missing element ${selector}`);
  return el;
}

type Attrs = Record<string, string | undefined>;

/** An element with its attributes (undefined ones left out) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

/** A button that does `onTap` when tapped (a click: touch, mouse or keyboard alike). */
export function button(attrs: Attrs, content: (Node | string)[] | string, onTap: () => void): HTMLButtonElement {
  const el = h('button', { type: 'button', ...attrs }, ...(typeof content === 'string' ? [content] : content));
  el.addEventListener('click', (e) => {
    e.stopPropagation();
    onTap();
  });
  return el;
}

const drawnKeys = new WeakMap<Element, string>();

/**
 * Rebuilds an element's children only when what they show changed (`key`): a rebuild between a finger's
 * down and up would lose the tap, and state arrives while people tap.
 */
export function redraw(el: Element, key: string, build: () => (Node | string)[]): void {
  if (drawnKeys.get(el) === key) return;
  drawnKeys.set(el, key);
  el.replaceChildren(...build());
}

export function setAttr(el: Element, name: string, value: string): void {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** Forgets what `redraw` last drew in an element (its children were replaced otherwise). */
export function forgetDrawn(el: Element): void {
  drawnKeys.delete(el);
}
