/**
 * A tiny element builder. The widget never parses HTML from strings, so
 * nothing from the API can become markup, and pages that enforce Trusted
 * Types or a strict CSP keep working.
 */

/**
 * Make an element.
 * @param {string} tag
 * @param {Record<string, any>|null} [props] `class`, `text`, `on<event>`
 *   (listeners), `dataset`; booleans set or remove attributes; null/undefined skip
 * @param {...(Node|string|null|undefined|false)} children
 * @returns {HTMLElement}
 */
export function h(tag, props = null, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'text') el.textContent = value;
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name in el && typeof value !== 'string' && name !== 'class') el[name] = value;
    else el.setAttribute(name === 'className' ? 'class' : name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/**
 * Append children, skipping empty ones.
 * @param {Element|ShadowRoot} parent
 * @param {Array<Node|string|null|undefined|false>} children
 */
export function append(parent, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/**
 * Replace every child of `parent`.
 * @param {Element} parent
 * @param {...(Node|string|null|undefined|false)} children
 */
export function replace(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

/**
 * Show or hide an element (the `hidden` attribute).
 * @param {Element} el
 * @param {boolean} visible
 */
export function show(el, visible) {
  el.hidden = !visible;
}
