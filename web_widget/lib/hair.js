/**
 * The shopper's hair: a style and colour for whichever body they try on
 * (the server's avatars/hair/styles.py), chosen in the body chooser and
 * remembered on this device only. Unchosen, each body wears its own.
 */
import { isTwin } from './avatars.js';
import { h } from './dom.js';

/** [value, label]: '' keeps the body's own hair; 'none' shows it without. */
export const HAIRSTYLES = Object.freeze([
  ['', 'The body\u2019s own'], ['very-short', 'Very short'], ['short', 'Short'], ['bob', 'Bob'],
  ['shoulder-length', 'Shoulder-length'], ['long', 'Long'], ['tied-back', 'Tied back'],
  ['afro', 'Curly (afro)'], ['locs', 'Locs'], ['head-covering', 'Head covering'], ['none', 'No hair'],
]);

/** [value, label, sRGB]: the swatches. */
export const HAIR_COLOURS = Object.freeze([
  ['black', 'Black', '#1c1816'], ['dark-brown', 'Dark brown', '#34241a'], ['brown', 'Brown', '#5c3e28'],
  ['auburn', 'Auburn', '#783820'], ['blonde', 'Blonde', '#c4a068'], ['grey', 'Grey', '#96928c'],
]);

/** The localStorage key of the chosen hair. */
export const HAIR_KEY = 'tryon:hair:v1';

const STYLES = new Set(HAIRSTYLES.map(([value]) => value));
const COLOURS = new Set(HAIR_COLOURS.map(([value]) => value));

/**
 * The remembered hair, or the body's own (nothing remembered, or something unknown).
 * @param {Storage|undefined} storage
 * @returns {{style: string, colour: string}}
 */
export function loadHair(storage) {
  try {
    const saved = JSON.parse(storage?.getItem(HAIR_KEY) ?? 'null');
    if (saved && STYLES.has(saved.style) && (saved.colour === '' || COLOURS.has(saved.colour))) return saved;
  } catch { /* unreadable: the body's own */ }
  return { style: '', colour: '' };
}

/** Remember ``hair`` on this device (nothing when storage is refused). */
export function saveHair(storage, hair) {
  try { storage?.setItem(HAIR_KEY, JSON.stringify(hair)); } catch { /* private mode: not remembered */ }
}

/**
 * The query parameters of a choice on a body: none for the body's own, and
 * none on a digital twin, who is shown as she was captured.
 * @param {{style: string, colour: string}|undefined} hair
 * @param {{kind?: string}} avatar
 */
export function hairParams(hair, avatar) {
  if (isTwin(avatar) || !hair?.style) return {};
  return { hair: hair.style, hair_colour: hair.style !== 'none' ? hair.colour || null : null };
}

/**
 * The chooser's "Hair" controls: a style list and colour swatches.
 * @param {string} id unique prefix; @param {{style: string, colour: string}} current
 * @param {(hair: {style: string, colour: string}) => void} onChange
 */
export function hairPanel(id, current, onChange) {
  const hair = { ...current };
  const colours = h('fieldset', { class: 'tones' }, h('legend', { class: 'sr', text: 'Hair colour' }),
    HAIR_COLOURS.map(([value, label, rgb]) => {
      const dot = h('span', { class: 'dot' });
      dot.style.background = rgb;
      return h('label', { title: label }, h('input', {
        type: 'radio', name: `${id}-hair-colour`, value, checked: hair.colour === value, 'aria-label': `${label} hair`,
        onchange: () => { hair.colour = value; onChange({ ...hair }); },
      }), dot);
    }));
  const style = h('select', {
    'aria-label': 'Hairstyle',
    onchange: (e) => {
      hair.style = e.target.value;
      if (hair.style && !hair.colour) hair.colour = 'dark-brown';
      for (const input of colours.querySelectorAll('input')) input.checked = input.value === hair.colour;
      onChange({ ...hair });
    },
  }, HAIRSTYLES.map(([value, text]) => h('option', { value, text, selected: hair.style === value })));
  return h('div', { class: 'filters hair' }, h('label', null, 'Hair', style),
    h('div', null, h('span', { class: 'note', text: 'Hair colour' }), colours));
}
