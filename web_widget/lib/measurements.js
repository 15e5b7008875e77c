/**
 * "My measurements": checked here before they go to POST /v1/avatars, and
 * remembered on this device only (localStorage), never sent anywhere else.
 */

/** Accepted ranges, cm: the API's (avatars/from_measurements.py LIMITS_CM). */
export const LIMITS = Object.freeze({
  height: [145, 205],
  chest: [70, 150],
  waist: [55, 140],
  hips: [75, 150],
});

/** Field labels, for messages. */
export const LABELS = Object.freeze({ height: 'Height', chest: 'Chest', waist: 'Waist', hips: 'Hips' });

/** The localStorage key of the remembered body. */
export const STORAGE_KEY = 'tryon:my-body:v1';

/**
 * Check a form's values: height is needed, chest/waist/hips are optional.
 * @param {Record<string, string|number|null|undefined>} form raw field values (cm)
 * @returns {{ok: boolean, values: Record<string, number>, errors: Record<string, string>}}
 */
export function validateMeasurements(form) {
  const values = {};
  const errors = {};
  for (const [name, [low, high]] of Object.entries(LIMITS)) {
    const raw = form[name] === undefined || form[name] === null ? '' : String(form[name]).trim().replace(',', '.');
    if (raw === '') {
      if (name === 'height') errors[name] = 'Enter your height in centimetres.';
      continue;
    }
    const value = Number(raw);
    if (!Number.isFinite(value)) errors[name] = `${LABELS[name]} must be a number of centimetres.`;
    else if (value < low || value > high) errors[name] = `${LABELS[name]} must be between ${low} and ${high} cm.`;
    else values[name] = Math.round(value * 10) / 10;
  }
  return { ok: Object.keys(errors).length === 0, values, errors };
}

/**
 * The remembered body ({measurements, sex, skinTone, avatarId}) or null.
 * Storage may be missing or refuse (private modes): that means nothing
 * is remembered.
 * @param {Storage|null|undefined} storage
 * @returns {object|null}
 */
export function loadBody(storage) {
  try {
    const data = JSON.parse(storage?.getItem(STORAGE_KEY) ?? 'null');
    return data && typeof data === 'object' && data.measurements ? data : null;
  } catch {
    return null;
  }
}

/**
 * Remember a body on this device; false if storage refused.
 * @param {Storage|null|undefined} storage
 * @param {{measurements: Record<string, number>, sex?: string, skinTone?: number, avatarId?: string}} body
 * @returns {boolean}
 */
export function saveBody(storage, body) {
  try {
    storage.setItem(STORAGE_KEY, JSON.stringify(body));
    return true;
  } catch {
    return false;
  }
}

/**
 * Forget the remembered body.
 * @param {Storage|null|undefined} storage
 */
export function forgetBody(storage) {
  try {
    storage?.removeItem(STORAGE_KEY);
  } catch {
    // nothing was stored
  }
}
