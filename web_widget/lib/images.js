/**
 * Image sizes: renders come in a few fixed widths so that caches (the
 * server's render cache and the browser's) see the same URLs again.
 */

/** Widths (px) the widget asks for; height is width * ASPECT. */
export const WIDTHS = Object.freeze([256, 384, 512, 768, 1024]);
/** Height over width of every render (the stage is 2:3). */
export const ASPECT = 1.5;

/**
 * The smallest width in `widths` that covers `cssWidth` CSS pixels at
 * `dpr` device pixels per CSS pixel (the largest one if none does). This is
 * the candidate a browser takes from a `srcset` of these widths.
 * @param {number} cssWidth
 * @param {number} [dpr]
 * @param {readonly number[]} [widths]
 * @returns {number}
 */
export function pickWidth(cssWidth, dpr = 1, widths = WIDTHS) {
  const needed = Math.ceil(Math.max(1, cssWidth) * Math.max(1, dpr || 1));
  return widths.find((w) => w >= needed) ?? widths[widths.length - 1];
}

/**
 * The height (px) of a render `width` px wide.
 * @param {number} width
 * @returns {number}
 */
export function heightFor(width) {
  return Math.round(width * ASPECT);
}

/**
 * A `srcset` value: one candidate per width, from `urlFor(width)`.
 * @param {(width: number) => string} urlFor
 * @param {readonly number[]} [widths]
 * @returns {string}
 */
export function srcset(urlFor, widths = WIDTHS) {
  return widths.map((w) => `${urlFor(w)} ${w}w`).join(', ');
}
