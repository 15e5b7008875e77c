/**
 * The widget itself, mounted into a <tryon-viewer>'s shadow root once it
 * nears the viewport: the render stage (rotate by drag, keys or buttons;
 * two sizes side by side; fit map), the colour swatches, the size picker,
 * the fit report, the body chooser, the try-on video and the live 3D view.
 */
import { Client, TryonError } from './api.js';
import { describeAvatar, isTwin, MONK_TONES, startingAvatar } from './avatars.js';
import { openChooser } from './chooser.js';
import { drawSwatches, startingColorway } from './colorways.js';
import { h, replace, show } from './dom.js';
import { hairParams, loadHair, saveHair } from './hair.js';
import { EASE_LEGEND, FIT_MAPS, LEGEND } from './fit.js';
import { loadBody } from './measurements.js';
import { normalizeView, turn } from './views.js';
import { fitReportMethods } from './fit_report.js';
import { stageMethods } from './stage.js';
import { reducedMotion, SECONDS, videoMethods } from './video.js';
import { openScene } from './viewer3d.js';


/**
 * Mount the widget into `host`'s shadow root.
 * @param {HTMLElement} host the <tryon-viewer>
 * @param {{base: string, viewerSrc: string}} options
 * @returns {{attributeChanged: (name: string, value: string|null) => void, destroy: () => void}}
 */
export function mount(host, { base, viewerSrc }) {
  const widget = new Widget(host, base, viewerSrc);
  widget.start();
  return widget;
}

class Widget {
  constructor(host, base, viewerSrc) {
    this.host = host;
    this.root = host.shadowRoot;
    this.viewerSrc = viewerSrc;
    this.client = new Client({ base, key: host.getAttribute('key') || '' });
    this.state = {
      garment: null, avatars: [], avatar: null, size: null, colorway: null, compare: '',
      view: normalizeView(host.getAttribute('view')), fitMap: false, report: null,
      mode: 'photos', // | 'video' | '3d'
      motion: 'turntable', // of the video
      hair: loadHair(globalThis.localStorage), // {style, colour}; '' the body's own
    };
    this.renderRun = null; // AbortController of the renders being loaded
    this.fitRun = null;
    this.ready = new Map(); // render URL -> Promise (warmed once per page)
    this.build();
  }

  // ---- layout -----------------------------------------------------------

  build() {
    const s = this.state;
    this.stage = h('div', {
      // a group, not a slider: a slider's children are hidden from screen readers, and the alt text matters
      class: 'stage', tabindex: '0', role: 'group', 'aria-roledescription': 'turnable picture',
      'aria-label': 'Try-on picture. Left and right arrow keys turn the body.',
      onkeydown: (e) => this.onKey(e), onpointerdown: (e) => this.onPointerDown(e),
    });
    this.busy = h('div', { class: 'busy', hidden: true, role: 'status' },
      h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', { class: 'busy-text', text: 'Loading\u2026' }));
    this.error = h('div', { class: 'error', role: 'alert', hidden: true });
    this.viewName = h('span', { class: 'view', 'aria-live': 'polite' });
    this.disclosure = h('p', { class: 'disclosure', text: 'Computer-generated images and video.' });
    // on the picture itself for a real person's twin, so no crop or screenshot loses it
    this.twinBadge = h('p', { class: 'twin-badge', hidden: true, text: 'Digital twin \u00b7 computer-generated' });
    this.btn3d = h('button', { class: 'btn', type: 'button', text: 'View in 3D', onclick: () => this.toggle3d() });
    this.turnRow = h('div', { class: 'turn' },
      h('button', { class: 'icon', type: 'button', 'aria-label': 'Turn the body left', text: '\u2039',
        onclick: () => this.setView(turn(s.view, 1)) }),
      this.viewName,
      h('button', { class: 'icon', type: 'button', 'aria-label': 'Turn the body right', text: '\u203a',
        onclick: () => this.setView(turn(s.view, -1)) }));
    const videoControls = this.buildVideoControls();
    const stageWrap = h('div', { class: 'stage-wrap' },
      h('div', { class: 'stage-holder' }, this.stage, this.twinBadge, this.playPause, this.busy, this.error),
      this.turnRow, this.disclosure, h('div', { class: 'tools' }, this.btn3d, videoControls));

    this.title = h('h2', { text: 'Try it on' });
    this.bodyLine = h('div', { class: 'body' });
    this.sizes = h('div', { class: 'sizes', role: 'radiogroup', 'aria-label': 'Size' });
    this.swatches = h('div', { class: 'swatches', role: 'radiogroup', 'aria-label': 'Colour' });
    this.colorwayName = h('span', { class: 'muted' });
    this.colours = h('fieldset', { hidden: true },
      h('legend', null, 'Colour ', this.colorwayName), this.swatches);
    this.fitSelect = h('select', { 'aria-label': 'Fit map', onchange: (e) => this.setFitMap(e.target.value || false) },
      h('option', { value: '', text: 'None' }),
      Object.entries(FIT_MAPS).map(([value, map]) => h('option', { value, text: map.label })));
    this.compareSelect = h('select', { onchange: (e) => this.setCompare(e.target.value) });
    this.legends = { stretch: legendList(LEGEND, 'Fit map colours'), ease: legendList(EASE_LEGEND, 'Room map colours') };
    this.fit = h('section', { class: 'fit', 'aria-live': 'polite', 'aria-busy': 'true' },
      h('p', { class: 'muted', text: 'Checking the fit\u2026' }));
    // the controls show once the garment and bodies are known (a failed start shows only its error)
    const panel = h('div', { class: 'panel', hidden: true },
      this.title,
      h('div', { class: 'row' }, this.bodyLine,
        h('button', { class: 'btn', type: 'button', text: 'Change body', 'aria-haspopup': 'dialog',
          onclick: () => this.chooseBody() })),
      this.colours,
      h('fieldset', null, h('legend', { text: 'Size' }), this.sizes),
      h('div', { class: 'options' },
        h('label', null, 'Fit map', this.fitSelect),
        h('label', null, 'Compare with', this.compareSelect)),
      this.legends.stretch, this.legends.ease,
      this.fit);
    this.panel = panel;
    this.tools = stageWrap.querySelector('.tools');
    for (const el of [this.turnRow, this.tools, this.disclosure]) show(el, false);
    this.frame = h('section', { class: 'tw', 'aria-label': 'Virtual try-on' }, stageWrap, panel);
    this.root.replaceChildren(this.frame);
  }

  // ---- start and attributes --------------------------------------------

  async start() {
    const garmentId = this.host.getAttribute('garment');
    if (!garmentId || !this.client.key) {
      this.fail(new TryonError('unauthorized', 'the <tryon-viewer> needs garment and key attributes',
        { detail: 'Add garment="GARMENT_ID" and key="PUBLISHABLE_KEY" to <tryon-viewer>.' }), () => this.start());
      return;
    }
    this.setBusy(true, 'Loading\u2026');
    try {
      const [garment, { avatars }] = await Promise.all([
        this.client.getJSON(`/v1/garments/${encodeURIComponent(garmentId)}`),
        this.client.getJSON('/v1/avatars'),
      ]);
      this.state.garment = garment;
      this.state.avatars = avatars;
      this.title.textContent = `Try on: ${garment.name}`;
      this.frame.setAttribute('aria-label', `Virtual try-on: ${garment.name}`);
      const wanted = this.host.getAttribute('size')?.toUpperCase();
      this.state.size = garment.sizes.includes(wanted) ? wanted : garment.sizes[Math.floor((garment.sizes.length - 1) / 2)];
      this.state.colorway = startingColorway(garment.colorways, this.host.getAttribute('colorway'));
      this.state.avatar = await this.initialAvatar(avatars);
    } catch (error) {
      this.setBusy(false);
      this.fail(error, () => this.start(), 'this product');
      return;
    }
    this.drawSizes();
    this.drawColours();
    this.drawBody();
    for (const el of [this.panel, this.turnRow, this.tools, this.disclosure]) show(el, true);
    this.update();
  }

  /** The attribute's avatar, else the body remembered on this device, else a typical library body. */
  async initialAvatar(avatars) {
    const wanted = this.host.getAttribute('avatar');
    const remembered = loadBody(globalThis.localStorage);
    const id = wanted || remembered?.avatarId;
    if (id && !avatars.some((a) => a.id === id)) {
      try {
        return await this.client.getJSON(`/v1/avatars/${encodeURIComponent(id)}`);
      } catch {
        // a body this server does not know (any more): make it again from what this device remembers
      }
      if (!wanted && remembered) {
        try {
          return await this.client.postJSON('/v1/avatars',
            { ...remembered.measurements, sex: remembered.sex, skin_tone: remembered.skinTone });
        } catch {
          // the measurements no longer make a body: fall back to the library
        }
      }
    }
    return startingAvatar(avatars, id);
  }

  /** Called by the element when one of its observed attributes changes. */
  attributeChanged(name, value) {
    const s = this.state;
    if (name === 'garment' || name === 'key') {
      // a fixed attribute starts the widget again, also after a start that failed
      this.client.key = this.host.getAttribute('key') || '';
      this.ready.clear();
      show(this.error, false);
      this.start();
      return;
    }
    if (!s.garment) return;
    if (name === 'size' && value && s.garment.sizes.includes(value.toUpperCase())) this.setSize(value.toUpperCase(), false);
    else if (name === 'view') this.setView(normalizeView(value));
    else if (name === 'colorway') this.setColorway(startingColorway(s.garment.colorways, value), 'attribute');
    else if (name === 'avatar' && value && value !== s.avatar?.id) {
      const found = s.avatars.find((a) => a.id === value);
      if (found) this.setAvatar(found, 'attribute');
    }
  }

  destroy() {
    this.renderRun?.abort();
    this.fitRun?.abort();
    this.closeVideo();
    this.sceneRun?.abort(); // a 3D model still downloading is not needed any more
    this.scene?.destroy();
  }

  // ---- changes ------------------------------------------------------------

  setSize(size, fromShopper = true) {
    const s = this.state;
    if (size === s.size) return;
    s.size = size;
    if (s.compare === size) s.compare = '';
    this.drawSizes();
    this.emit('tryon:size-change', { size, garment: s.garment.id, source: fromShopper ? 'shopper' : 'attribute' });
    this.update();
  }

  /** Another colour: new pictures (the drape is shared), or the 3D model's variant. */
  setColorway(id, source = 'shopper') {
    const s = this.state;
    if (id === s.colorway) return;
    s.colorway = id;
    this.drawColours();
    this.emit('tryon:colorway-change', { colorway: id, garment: s.garment.id, source });
    if (s.mode === '3d') this.scene?.setVariant(this.colorwayLabel(), s.colorway);
    else this.drawRenders();
  }

  /** The shown colorway's name, or null. */
  colorwayLabel() {
    return this.state.garment.colorways?.find((c) => c.id === this.state.colorway)?.name ?? null;
  }

  drawColours() {
    const s = this.state;
    const colorways = s.garment.colorways ?? [];
    show(this.colours, colorways.length > 0);
    if (this.swatchesFor !== s.garment) { // built once per garment, so focus stays on the group
      this.swatchesFor = s.garment;
      drawSwatches(this.swatches, colorways, s.colorway, (id) => this.setColorway(id));
    }
    for (const input of this.swatches.querySelectorAll('input')) input.checked = input.value === s.colorway;
    this.colorwayName.textContent = this.colorwayLabel() ?? '';
  }

  setAvatar(avatar, source) {
    this.state.avatar = avatar;
    this.drawBody();
    this.emit('tryon:avatar-change', {
      avatar: { id: avatar.id, label: avatar.label, kind: avatar.kind ?? null }, source,
    });
    this.update();
  }

  setView(view) {
    if (view === this.state.view) return;
    this.state.view = view;
    this.drawRenders();
  }

  /** @param {'stretch'|'ease'|false} mode */
  setFitMap(mode) {
    this.state.fitMap = mode;
    for (const [name, list] of Object.entries(this.legends)) show(list, name === mode);
    this.drawRenders();
  }

  setCompare(size) {
    this.state.compare = size;
    this.drawRenders();
  }

  /** Everything that depends on the body or size: renders and the fit report. */
  update() {
    if (this.state.mode === '3d') this.toggle3d();
    this.drawRenders();
    this.loadFit();
  }

  emit(type, detail) {
    this.host.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  // ---- size picker, body line, fit report ----------------------------------

  drawSizes() {
    const s = this.state;
    const recommended = s.report?.size === s.size ? s.report.recommended_size : null;
    if (this.sizesFor !== s.garment) {
      // built once per garment and then only updated, so keyboard focus stays on the picker
      this.sizesFor = s.garment;
      const name = `size-${Math.random().toString(36).slice(2)}`;
      replace(this.sizes, ...s.garment.sizes.map((size) => h('label', { class: 'pill' },
        h('input', { type: 'radio', name, value: size, onchange: () => this.setSize(size) }),
        h('span', { text: size }),
        h('span', { class: 'rec', text: 'best', 'aria-hidden': 'true', hidden: true }))));
    }
    for (const pill of this.sizes.children) {
      const input = pill.querySelector('input');
      input.checked = input.value === s.size;
      input.setAttribute('aria-label', `Size ${input.value}${input.value === recommended ? ' (recommended)' : ''}`);
      show(pill.querySelector('.rec'), input.value === recommended && input.value !== s.size);
    }
    replace(this.compareSelect, h('option', { value: '', text: 'no other size' }),
      ...s.garment.sizes.filter((size) => size !== s.size)
        .map((size) => h('option', { value: size, text: `size ${size}`, selected: size === s.compare })));
  }

  drawBody() {
    const a = this.state.avatar;
    const tone = h('span', { class: 'tone', 'aria-hidden': 'true' });
    tone.style.background = MONK_TONES[(a.skin_tone ?? 5) - 1] ?? MONK_TONES[4];
    const measured = a.kind === 'measured' || a.id.startsWith('m-');
    const details = [Number.isInteger(a.skin_tone) ? `Skin tone ${a.skin_tone} of 10` : '',
      measured ? `${Math.round(a.height_cm)} cm` : ''].filter(Boolean).join(' \u00b7 ');
    replace(this.bodyLine, tone, h('div', null,
      h('div', { text: measured ? 'Your measurements' : a.label }),
      h('div', { class: 'muted', text: details })));
    const twin = isTwin(a);
    show(this.twinBadge, twin);
    this.disclosure.classList.toggle('twin', twin);
    this.disclosure.textContent = twin
      ? 'Computer-generated images and video of a real model\u2019s digital twin, shown with their consent.'
      : 'Computer-generated images and video.';
  }

  // ---- body chooser and 3D --------------------------------------------------

  chooseBody() {
    openChooser(this.root, {
      client: this.client, avatars: this.state.avatars, current: this.state.avatar,
      onPick: (avatar, source) => this.setAvatar(avatar, source),
      hair: this.state.hair, onHair: (hair) => this.setHair(hair),
    });
  }

  /** Another hairstyle or colour on every body, remembered on this device. */
  setHair(hair) {
    this.state.hair = hair;
    saveHair(globalThis.localStorage, hair);
    if (this.state.mode === '3d') this.reopen3d();
    else this.drawRenders();
  }

  /** The 3D view again, for another motion. */
  reopen3d() {
    this.toggle3d();
    this.toggle3d();
  }

  async toggle3d() {
    const s = this.state;
    if (s.mode === '3d') {
      s.mode = 'photos';
      this.sceneRun?.abort();
      this.scene?.destroy();
      this.scene = null;
      this.btn3d.textContent = 'View in 3D';
      show(this.turnRow, true);
      this.drawRenders();
      return;
    }
    if (s.mode === 'video') this.closeVideo();
    s.mode = '3d';
    this.renderRun?.abort();
    this.btn3d.textContent = 'Back to pictures';
    show(this.turnRow, false);
    show(this.error, false);
    // the walk moves in 3D too, unless the shopper asked for less motion
    const motion = s.motion === 'walk' && !reducedMotion() ? 'walk' : null;
    this.setBusy(true, motion ? 'Preparing the 3D walk\u2026' : 'Preparing the 3D view\u2026');
    this.sceneRun?.abort();
    const run = (this.sceneRun = new AbortController());
    try {
      this.scene = await openScene({
        client: this.client, viewerSrc: this.viewerSrc, stage: this.stage, signal: run.signal,
        params: { avatar: s.avatar.id, garment: s.garment.id, size: s.size, ...hairParams(s.hair, s.avatar) },
        variant: this.colorwayLabel(), colorway: s.colorway, motion, seconds: SECONDS,
        alt: `${s.garment.name}, size ${s.size}, on a body: ${describeAvatar(s.avatar)}. Computer-generated 3D model; drag to turn it.`,
        isCurrent: () => s.mode === '3d' && !run.signal.aborted,
      });
      if (!run.signal.aborted) this.setBusy(false);
    } catch (error) {
      if (run.signal.aborted) return; // left the 3D view, or the element went away
      this.setBusy(false);
      if (s.mode !== '3d') return;
      this.fail(error, () => { s.mode = 'photos'; this.toggle3d(); }, 'the 3D view');
    }
  }
}

/** A legend of a fit map's colours, hidden until its map is shown. */
function legendList(items, label) {
  const list = h('ul', { class: 'legend', hidden: true, 'aria-label': label },
    items.map((item) => h('li', null, h('span', { class: 'swatch', dataset: { colour: item.colour } }), item.label)));
  for (const swatch of list.querySelectorAll('.swatch')) swatch.style.background = swatch.dataset.colour;
  return list;
}

Object.assign(Widget.prototype, stageMethods, fitReportMethods, videoMethods);
