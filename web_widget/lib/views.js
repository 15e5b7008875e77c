/**
 * Camera views the API renders (tryon/views.py), in the order met when the
 * camera walks around the body: front, three-quarter (front-left), left,
 * back, right. Rotation wraps around.
 */

/** View names, by camera azimuth. */
export const VIEWS = Object.freeze(['front', 'three-quarter', 'left', 'back', 'right']);

/** Labels a shopper reads (and a screen reader speaks). */
export const VIEW_LABELS = Object.freeze({
  front: 'Front',
  'three-quarter': 'Three-quarter',
  left: 'Left side',
  back: 'Back',
  right: 'Right side',
});

/** Pixels of horizontal drag that turn the body by one view. */
export const DRAG_STEP_PX = 60;

/**
 * The view `steps` positions after `view`, wrapping around.
 * @param {string} view a name in VIEWS (anything else counts as 'front')
 * @param {number} steps positive: towards 'three-quarter'; negative: towards 'right'
 * @returns {string}
 */
export function turn(view, steps) {
  const from = Math.max(0, VIEWS.indexOf(view));
  const n = VIEWS.length;
  return VIEWS[(((from + Math.trunc(steps)) % n) + n) % n];
}

/**
 * Whole view steps for a horizontal drag. The body follows the pointer:
 * dragging right turns its front towards the shopper's right, so the next
 * view is its right side.
 * @param {number} dx pointer movement in CSS pixels since the last step
 * @param {number} [stepPx]
 * @returns {number}
 */
export function dragSteps(dx, stepPx = DRAG_STEP_PX) {
  return -Math.trunc(dx / stepPx) || 0; // never -0
}

/**
 * The rotation a key asks for, or null when the key is not ours. Arrow
 * keys turn like a drag in their direction; Home goes back to the front.
 * @param {string} key KeyboardEvent.key
 * @param {string} view the current view
 * @returns {string|null} the new view
 */
export function viewForKey(key, view) {
  switch (key) {
    case 'ArrowRight': return turn(view, -1);
    case 'ArrowLeft': return turn(view, 1);
    case 'Home': return 'front';
    case 'End': return 'back';
    default: return null;
  }
}

/**
 * A known view name, or 'front'.
 * @param {string|null|undefined} view
 * @returns {string}
 */
export function normalizeView(view) {
  return VIEWS.includes(view) ? view : 'front';
}
