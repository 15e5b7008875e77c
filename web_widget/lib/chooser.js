/**
 * The body chooser: a modal <dialog> with two tabs, the avatar library
 * (filtered by height, EU size and Monk skin tone, with small renders) and
 * "My measurements" (POST /v1/avatars; remembered on this device only),
 * and the hair to wear on the body picked.
 */
import { describeAvatar, euSizes, filterAvatars, HEIGHT_BANDS, isTwin, MONK_TONES } from './avatars.js';
import { h, replace, show } from './dom.js';
import { hairPanel } from './hair.js';
import { describeError } from './errors.js';
import { forgetBody, LABELS, LIMITS, loadBody, saveBody, validateMeasurements } from './measurements.js';

/** Thumbnail renders loaded at once (the server renders them on its job threads). */
const THUMB_CONCURRENCY = 3;
const THUMB_WIDTH = 256;

let uid = 0;

/**
 * Open the chooser over the widget.
 * @param {ShadowRoot} root the widget's shadow root
 * @param {{client: import('./api.js').Client, avatars: object[], current: object,
 *   onPick: (avatar: object, source: 'library'|'measurements') => void,
 *   hair: {style: string, colour: string}, onHair: (hair: {style: string, colour: string}) => void}} options
 */
export function openChooser(root, { client, avatars, current, onPick, hair, onHair }) {
  const id = `tc${uid += 1}`;
  const filters = { height: '', size: '', tone: '' };
  const thumbs = new ThumbLoader(client);
  const dialog = h('dialog', { 'aria-labelledby': `${id}-title`, onclose: () => { thumbs.stop(); dialog.remove(); } });
  const grid = h('ul', { class: 'grid', 'aria-label': 'Bodies' });
  const count = h('p', { class: 'note', 'aria-live': 'polite' });

  const pick = (avatar, source) => {
    onPick(avatar, source);
    dialog.close();
  };

  const drawGrid = () => {
    const found = filterAvatars(avatars, filters);
    count.textContent = `${found.length} of ${avatars.length} bodies`;
    thumbs.clear();
    replace(grid, ...found.map((a) => {
      const img = h('img', { alt: '', width: '96', height: '144', crossorigin: 'anonymous' });
      thumbs.queue(img, client.url('/v1/render', {
        avatar: a.id, view: 'front', width: THUMB_WIDTH, height: THUMB_WIDTH * 1.5, format: 'webp' }));
      return h('li', null, h('button', {
        class: 'card', type: 'button', 'aria-pressed': String(a.id === current?.id),
        'aria-label': `${a.label}: ${describeAvatar(a)}`, onclick: () => pick(a, 'library'),
      }, img, h('span', { text: `${{ female: 'Woman, ', male: 'Man, ' }[a.sex] ?? ''}${Math.round(a.height_cm)} cm` }),
      h('span', { class: 'muted', text: isTwin(a) ? 'Digital twin' : a.eu_size ? `EU ${a.eu_size}` : a.sex })));
    }));
    if (found.length === 0) grid.append(h('li', { class: 'note', text: 'No body matches these filters.' }));
  };

  const select = (label, name, options) => h('label', null, label, h('select', {
    onchange: (e) => { filters[name] = e.target.value; drawGrid(); },
  }, options.map(([value, text]) => h('option', { value, text }))));

  const tones = h('fieldset', { class: 'tones' }, h('legend', { class: 'sr', text: 'Skin tone' }),
    ['', ...MONK_TONES.map((_, i) => String(i + 1))].map((tone) => {
      const dot = h('span', { class: tone ? 'dot' : 'dot any', text: tone ? '' : 'any' });
      if (tone) dot.style.background = MONK_TONES[Number(tone) - 1];
      return h('label', { title: tone ? `Skin tone ${tone}` : 'Any skin tone' },
        h('input', { type: 'radio', name: `${id}-tone`, value: tone, checked: tone === '',
          'aria-label': tone ? `Skin tone ${tone} of 10` : 'Any skin tone',
          onchange: () => { filters.tone = tone; drawGrid(); } }), dot);
    }));

  const library = h('div', { class: 'dlg', role: 'tabpanel', id: `${id}-lib`, 'aria-labelledby': `${id}-tab-lib` },
    h('div', { class: 'filters' },
      select('Height', 'height', HEIGHT_BANDS.map((b) => [b.id, b.label])),
      select('Size', 'size', [['', 'Any size'], ...euSizes(avatars).map((s) => [String(s), `EU ${s}`])]),
      h('div', null, h('span', { class: 'note', text: 'Skin tone' }), tones)),
    count, grid);

  const mine = measurementsPanel(id, client, pick);
  const tab = (name, text, panel) => h('button', {
    type: 'button', role: 'tab', id: `${id}-tab-${name}`, 'aria-controls': panel.id, text,
    onclick: () => selectTab(name),
  });
  const tabs = { lib: tab('lib', 'Choose a body', library), mine: tab('mine', 'My measurements', mine) };
  const selectTab = (name) => {
    for (const [key, button] of Object.entries(tabs)) button.setAttribute('aria-selected', String(key === name));
    show(library, name === 'lib');
    show(mine, name === 'mine');
    (name === 'lib' ? library : mine).querySelector('select, input')?.focus();
  };

  dialog.append(h('div', { class: 'dlg' },
    h('div', { class: 'row' },
      h('h2', { id: `${id}-title`, text: 'Pick a body like yours' }),
      h('button', { class: 'icon', type: 'button', 'aria-label': 'Close', text: '\u00d7', onclick: () => dialog.close() })),
    h('div', { class: 'tabs', role: 'tablist' }, tabs.lib, tabs.mine),
    library, mine, hairPanel(id, hair, onHair)));
  root.append(dialog);
  drawGrid();
  dialog.showModal();
  selectTab(current?.id?.startsWith('m-') ? 'mine' : 'lib');
}

/** The "My measurements" form. */
function measurementsPanel(id, client, pick) {
  const remembered = loadBody(globalThis.localStorage);
  const inputs = {};
  const errors = {};
  const fields = Object.entries(LIMITS).map(([name, [low, high]]) => {
    errors[name] = h('span', { class: 'field-error', id: `${id}-${name}-err`, 'aria-live': 'polite' });
    inputs[name] = h('input', {
      type: 'number', inputmode: 'decimal', min: String(low), max: String(high), step: '0.5', name,
      required: name === 'height', 'aria-describedby': `${id}-${name}-err`,
      oninput: () => { errors[name].textContent = ''; inputs[name].removeAttribute('aria-invalid'); },
      value: remembered?.measurements?.[name] != null ? String(remembered.measurements[name]) : '',
    });
    return h('label', null, `${LABELS[name]} (cm)${name === 'height' ? '' : ', optional'}`, inputs[name], errors[name]);
  });
  const sex = h('select', { name: 'sex' },
    [['female', 'Feminine'], ['male', 'Masculine'], ['neutral', 'Neutral']].map(([value, text]) =>
      h('option', { value, text, selected: (remembered?.sex ?? 'female') === value })));
  const tone = h('select', { name: 'skin_tone' }, MONK_TONES.map((_, i) =>
    h('option', { value: String(i + 1), text: `Tone ${i + 1} of 10`, selected: (remembered?.skinTone ?? 5) === i + 1 })));
  const status = h('p', { class: 'note', role: 'status' });
  const submit = h('button', { class: 'btn primary', type: 'submit', text: 'Show me this body' });
  const forget = h('button', { class: 'btn', type: 'button', text: 'Forget my measurements', hidden: !remembered,
    onclick: () => {
      forgetBody(globalThis.localStorage);
      for (const input of Object.values(inputs)) input.value = '';
      forget.hidden = true;
      status.textContent = 'Forgotten on this device.';
    } });

  const onSubmit = async (event) => {
    event.preventDefault();
    const form = Object.fromEntries(Object.entries(inputs).map(([k, input]) => [k, input.value]));
    const checked = validateMeasurements(form);
    for (const name of Object.keys(LIMITS)) {
      errors[name].textContent = checked.errors[name] ?? '';
      inputs[name].setAttribute('aria-invalid', String(Boolean(checked.errors[name])));
    }
    if (!checked.ok) {
      inputs[Object.keys(checked.errors)[0]].focus();
      return;
    }
    submit.disabled = true;
    status.textContent = 'Making a body with your measurements\u2026';
    try {
      const avatar = await client.postJSON('/v1/avatars',
        { ...checked.values, sex: sex.value, skin_tone: Number(tone.value) });
      saveBody(globalThis.localStorage,
        { measurements: checked.values, sex: sex.value, skinTone: Number(tone.value), avatarId: avatar.id });
      status.textContent = '';
      pick(avatar, 'measurements');
    } catch (error) {
      const text = describeError(error, { origin: location.origin, what: 'a body' });
      const field = error?.field && inputs[error.field] ? error.field : null;
      if (field) {
        errors[field].textContent = text.message;
        inputs[field].setAttribute('aria-invalid', 'true');
        inputs[field].focus();
        status.textContent = '';
      } else {
        status.textContent = `${text.title}. ${text.message}`;
      }
    } finally {
      submit.disabled = false;
    }
  };

  return h('form', { class: 'dlg', role: 'tabpanel', id: `${id}-mine`, 'aria-labelledby': `${id}-tab-mine`,
    novalidate: true, onsubmit: onSubmit },
  h('p', { class: 'note', text: 'Your height, and any of chest, waist and hips. They are remembered on this device only, '
    + 'and sent only to make your body.' }),
  h('div', { class: 'form' }, ...fields,
    h('label', null, 'Body shape', sex), h('label', null, 'Skin tone', tone)),
  h('div', { class: 'form-actions' }, submit, forget), status);
}

/** Loads thumbnail renders a few at a time (polling any that answer 202). */
class ThumbLoader {
  constructor(client) {
    this.client = client;
    this.waiting = [];
    this.active = 0;
    this.run = new AbortController();
  }

  queue(img, url) {
    this.waiting.push([img, url]);
    this.pump();
  }

  clear() {
    this.waiting = [];
  }

  stop() {
    this.clear();
    this.run.abort();
  }

  pump() {
    while (this.active < THUMB_CONCURRENCY && this.waiting.length) {
      const [img, url] = this.waiting.shift();
      this.active += 1;
      this.client.ready(url, { signal: this.run.signal })
        .then((response) => response.arrayBuffer())
        .then(() => { img.src = url; }, () => { img.alt = 'picture not available'; })
        .finally(() => { this.active -= 1; this.pump(); });
    }
  }
}
