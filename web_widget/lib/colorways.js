/**
 * Colorways: the garment's colours or fabrics as swatches a shopper picks
 * from (a radio group, so arrow keys move between them). A colorway comes
 * from the API as {id, name, color: '#rrggbb', has_texture, fabric}; the
 * swatch shows its colour (a texture's mean colour for a print).
 */
import { h, replace } from './dom.js';

/**
 * The colorway to show first: the one `wanted` names (by id or name, any
 * case), else the garment's first, else null (the garment has none).
 * @param {Array<{id: string, name: string}>} colorways
 * @param {string|null|undefined} wanted
 * @returns {string|null} a colorway id
 */
export function startingColorway(colorways, wanted) {
  if (!colorways?.length) return null;
  const key = (wanted ?? '').trim().toLowerCase();
  const found = colorways.find((c) => c.id === key || c.name.toLowerCase() === key);
  return (found ?? colorways[0]).id;
}

/**
 * Fill `group` with one swatch per colorway, `selected` checked.
 * @param {HTMLElement} group the radiogroup
 * @param {Array<{id: string, name: string, color: string, has_texture: boolean, fabric: string|null}>} colorways
 * @param {string|null} selected
 * @param {(id: string) => void} onPick
 */
export function drawSwatches(group, colorways, selected, onPick) {
  const name = `colorway-${Math.random().toString(36).slice(2)}`;
  replace(group, ...colorways.map((c) => {
    const chip = h('span', { class: 'chip-colour', 'aria-hidden': 'true' });
    chip.style.background = /^#[0-9a-f]{6}$/i.test(c.color) ? c.color : '#999';
    if (c.has_texture) chip.classList.add('print');
    return h('label', { class: 'colorway', title: c.name },
      h('input', { type: 'radio', name, value: c.id, checked: c.id === selected,
        'aria-label': describeColorway(c), onchange: () => onPick(c.id) }),
      chip);
  }));
}

/**
 * What a screen reader says of a swatch: "Wine velvet (velvet)".
 * @param {{name: string, fabric: string|null, has_texture: boolean}} colorway
 * @returns {string}
 */
export function describeColorway(colorway) {
  const extra = [colorway.has_texture ? 'print' : '', colorway.fabric ?? ''].filter(Boolean);
  return extra.length ? `${colorway.name} (${extra.join(', ')})` : colorway.name;
}
