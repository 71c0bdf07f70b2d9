/**
 * DOM helpers of the try-it pages. Data reaches the page only as text, never as HTML.
 */

/** The element with this id, of this type; a missing one is a bug in the page. */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
  return node;
}

/** The element with this id (any type). */
export function $(id: string): HTMLElement {
  return byId(id, HTMLElement);
}

export interface ElementProps {
  text?: string;
  class?: string;
  /** Attributes, e.g. `data-client`. */
  attrs?: Record<string, string>;
  onclick?: () => void;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  children: (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.text !== undefined) node.textContent = props.text;
  if (props.class !== undefined) node.className = props.class;
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
  if (props.onclick) node.addEventListener('click', props.onclick);
  node.append(...children);
  return node;
}

/** Appends a line to the page's event log (`#log`), newest first, keeping the last 50. */
export function logLine(text: string): void {
  const log = $('log');
  log.prepend(el('li', { text: `${new Date().toLocaleTimeString()}  ${text}` }));
  while (log.children.length > 50) log.lastElementChild?.remove();
}

/** Shows a problem the page cannot get past (no session, a refused token) in `#problem`. */
export function showProblem(text: string): void {
  const banner = $('problem');
  banner.hidden = false;
  banner.textContent = text;
}
