/** Attributes and properties of an element made by `h`. */
type Props = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;
type Child = Node | string | number | null | undefined | false;

/**
 * Creates an element: `h("button", { type: "button", onclick: add }, "Add")`. Text children
 * become text nodes, never HTML, so product names and messages from the server cannot inject
 * markup. `on…` keys are listeners; `false`/`undefined` values are left out.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === "object" ? child : String(child));
  }
  return element;
}

/** The element with `id`; the page's markup guarantees it (a missing one is a bug). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`no element #${id}`);
  return element as T;
}

/** Shows `text` in a status line, marked as an error or not; empty text hides it. */
export function setStatus(element: HTMLElement, text: string, kind: "info" | "error" = "info") {
  element.textContent = text;
  element.classList.toggle("error", kind === "error");
  element.hidden = text === "";
}
