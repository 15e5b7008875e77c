/**
 * The avatar library as the shopper filters it: by height, EU size and
 * Monk skin tone. Avatars are the API's (GET /v1/avatars).
 */

/** Monk Skin Tone scale swatches, tones 1-10 (monkskintonescale.com). */
export const MONK_TONES = Object.freeze([
  '#f6ede4', '#f3e7db', '#f7ead0', '#eadaba', '#d7bd96',
  '#a07e56', '#825c43', '#604134', '#3a312a', '#292420',
]);

/** Height filter choices, cm (min inclusive, max exclusive). */
export const HEIGHT_BANDS = Object.freeze([
  { id: '', label: 'Any height' },
  { id: 'under-160', label: 'Under 160 cm', max: 160 },
  { id: '160-170', label: '160\u2013169 cm', min: 160, max: 170 },
  { id: '170-180', label: '170\u2013179 cm', min: 170, max: 180 },
  { id: '180-plus', label: '180 cm and over', min: 180 },
]);

/**
 * The avatars that pass every set filter.
 * @param {object[]} avatars API avatars (height_cm, eu_size, skin_tone)
 * @param {{height?: string, size?: number|string, tone?: number|string}} filters
 *   height: a HEIGHT_BANDS id; size: an EU size; tone: 1-10; empty means any
 * @returns {object[]}
 */
export function filterAvatars(avatars, { height = '', size = '', tone = '' } = {}) {
  const band = HEIGHT_BANDS.find((b) => b.id === height) ?? HEIGHT_BANDS[0];
  return avatars.filter((a) => (band.min === undefined || a.height_cm >= band.min)
    && (band.max === undefined || a.height_cm < band.max)
    && (size === '' || size === null || a.eu_size === Number(size))
    && (tone === '' || tone === null || a.skin_tone === Number(tone)));
}

/**
 * The EU sizes present in the library, ascending.
 * @param {object[]} avatars
 * @returns {number[]}
 */
export function euSizes(avatars) {
  return [...new Set(avatars.map((a) => a.eu_size).filter((s) => Number.isInteger(s)))].sort((x, y) => x - y);
}

/**
 * Whether renders of this avatar must say it is a real person's digital
 * twin. A missing `kind` is a library or measured body.
 * @param {object|null|undefined} avatar
 * @returns {boolean}
 */
export function isTwin(avatar) {
  return avatar?.kind === 'twin';
}

/**
 * A one-line description for labels and alt text.
 * @param {object} avatar
 * @returns {string}
 */
export function describeAvatar(avatar) {
  const parts = [];
  if (avatar.sex && avatar.sex !== 'neutral') parts.push(avatar.sex === 'female' ? 'Woman' : 'Man');
  if (Number.isFinite(avatar.height_cm)) parts.push(`${Math.round(avatar.height_cm)} cm`);
  if (Number.isInteger(avatar.eu_size)) parts.push(`EU ${avatar.eu_size}`);
  if (Number.isInteger(avatar.skin_tone)) parts.push(`skin tone ${avatar.skin_tone} of 10`);
  return parts.join(', ') || avatar.label || avatar.id;
}

/**
 * The avatar to start with: `wanted` if it is in the list, else the
 * library body nearest the middle of the sizes (a typical body).
 * @param {object[]} avatars
 * @param {string|null} [wanted]
 * @returns {object|null}
 */
export function startingAvatar(avatars, wanted = null) {
  const found = avatars.find((a) => a.id === wanted);
  if (found) return found;
  if (avatars.length === 0) return null;
  const sizes = euSizes(avatars.filter((a) => a.sex === 'female'));
  const middle = sizes[Math.floor((sizes.length - 1) / 2)];
  return avatars.find((a) => a.sex === 'female' && a.eu_size === middle) ?? avatars[0];
}
