/**
 * The widget's stage: the try-on pictures (warmed through their 202 jobs,
 * sized for the box and the screen, swapped only once decoded), turning the
 * body by keys, drag or buttons, the busy indicator and error overlay. Mixed
 * into the widget's class (``Object.assign(Widget.prototype, stageMethods)``):
 * `this` is the widget.
 */
import { describeAvatar, isTwin } from './avatars.js';
import { h, replace, show } from './dom.js';
import { describeError } from './errors.js';
import { FIT_MAPS } from './fit.js';
import { hairParams } from './hair.js';
import { heightFor, pickWidth, srcset, WIDTHS } from './images.js';
import { dragSteps, DRAG_STEP_PX, turn, VIEW_LABELS, viewForKey } from './views.js';

/** Milliseconds before a loading indicator shows (fast answers never flash it). */
export const BUSY_DELAY_MS = 150;
const FORMAT = 'webp';

export const stageMethods = {
  // ---- renders -------------------------------------------------------------

  renderUrl(size, width) {
    const s = this.state;
    return this.client.url('/v1/render', {
      avatar: s.avatar.id, garment: s.garment.id, size, colorway: s.colorway, view: s.view,
      width, height: heightFor(width), format: FORMAT, fit_map: s.fitMap || null,
      // a twin's picture carries the widget's own badge; the drawn label is for images shown elsewhere
      label: isTwin(s.avatar) ? 0 : null,
      ...hairParams(s.hair, s.avatar),
    });
  },

  /**
   * Warm one render URL (poll its job if it answers 202); once per URL per
   * page. Not cancellable on purpose: a view left and come back to must
   * find its request still going, and a finished render warms the cache.
   */
  warm(url) {
    let promise = this.ready.get(url);
    if (!promise) {
      promise = this.client.ready(url)
        .then((response) => response.arrayBuffer()); // read whole: the browser cache keeps it for the <img>
      this.ready.set(url, promise);
      promise.catch(() => this.ready.delete(url));
    }
    return promise;
  },

  busyText() {
    return this.state.fitMap ? 'Mapping the fit\u2026' : 'Dressing the body\u2026';
  },

  async drawRenders() {
    const s = this.state;
    if (!s.garment || !s.avatar || s.mode === '3d') return;
    if (s.mode === 'video') this.closeVideo(); // a new view, size, colour or body: back to the pictures
    this.renderRun?.abort();
    const run = (this.renderRun = new AbortController());
    const sizes = s.compare ? [s.size, s.compare] : [s.size];
    this.stage.classList.toggle('compare', sizes.length > 1);
    this.viewName.textContent = VIEW_LABELS[s.view];
    show(this.error, false);
    const stageWidth = this.stage.getBoundingClientRect().width || 320;
    const cssWidth = (stageWidth - (sizes.length - 1) * 8) / sizes.length;
    const width = pickWidth(cssWidth, globalThis.devicePixelRatio);
    const timer = setTimeout(() => { if (!run.signal.aborted) this.setBusy(true, this.busyText()); }, BUSY_DELAY_MS);
    try {
      await Promise.all(sizes.map((size) => this.warm(this.renderUrl(size, width))));
      const shots = sizes.map((size) => this.shot(size, width, cssWidth, sizes.length > 1));
      // decode before swapping, so the old picture stays until the new one can show
      await Promise.all(shots.map(({ img }) => img.decode().catch(() => this.repair(img))));
      if (run.signal.aborted) return;
      replace(this.stage, ...shots.map(({ figure }) => figure));
      this.setBusy(false);
      this.prefetchNeighbours(width);
    } catch (error) {
      if (run.signal.aborted) return;
      this.setBusy(false);
      this.fail(error, () => this.drawRenders(), 'this garment on this body');
    } finally {
      clearTimeout(timer);
    }
  },

  /** One <figure> with a sized <img> for `size`. */
  shot(size, width, cssWidth, tagged) {
    const s = this.state;
    const img = h('img', {
      crossorigin: 'anonymous', // same request mode as the warming fetch: the browser cache answers
      alt: `${s.garment.name}${s.colorway ? ` in ${this.colorwayLabel()}` : ''}, size ${size}, on a body: ${describeAvatar(s.avatar)}; ${VIEW_LABELS[s.view].toLowerCase()} view`
        + `${s.fitMap ? `, ${FIT_MAPS[s.fitMap].alt}` : ''}. Computer-generated image`
        + `${isTwin(s.avatar) ? ' of a real model\u2019s digital twin' : ''}.`,
      width: String(width), height: String(heightFor(width)),
    });
    img.sizes = `${Math.ceil(cssWidth)}px`;
    img.srcset = srcset((w) => this.renderUrl(size, w), WIDTHS);
    img.src = this.renderUrl(size, width);
    return { img, figure: h('figure', { class: 'shot' }, img, tagged ? h('figcaption', { class: 'tag', text: `Size ${size}` }) : null) };
  },

  /** The browser took a srcset candidate we had not warmed and it was not ready: warm it and retry. */
  async repair(img) {
    const url = img.currentSrc || img.src;
    await this.warm(url);
    img.removeAttribute('srcset');
    img.src = url;
    await img.decode();
  },

  /** Warm the views either side, so turning the body is quick. */
  prefetchNeighbours(width) {
    const s = this.state;
    const view = s.view;
    for (const next of [turn(view, 1), turn(view, -1)]) {
      s.view = next;
      const url = this.renderUrl(s.size, width);
      s.view = view;
      this.warm(url).catch(() => {}); // only a head start; the real request reports errors
    }
  },

  setBusy(on, text = 'Loading\u2026') {
    this.busy.querySelector('.busy-text').textContent = text;
    show(this.busy, on);
    this.stage.setAttribute('aria-busy', String(on));
  },

  /** Show an error over the stage, with a retry when retrying can help. */
  fail(error, retry, what) {
    console.warn('tryon:', error);
    const text = describeError(error, { origin: location.origin, what });
    const again = h('button', { class: 'btn primary', type: 'button', text: 'Try again',
      onclick: () => { show(this.error, false); retry(); } });
    replace(this.error, h('strong', { text: text.title }), h('span', { text: text.message }),
      text.retry ? again : null, h('small', { text: text.developer }));
    show(this.error, true);
    // the retry takes focus only from inside the widget: a failure the shopper did not
    // cause (a lazy start, a prefetch) must not pull focus away from what they are doing
    if (text.retry && this.root.activeElement) again.focus({ preventScroll: true });
  },

  // ---- rotation ------------------------------------------------------------

  onKey(event) {
    const next = viewForKey(event.key, this.state.view);
    if (next === null) return;
    event.preventDefault();
    this.setView(next);
  },

  onPointerDown(event) {
    if (event.button !== 0 || this.state.mode !== 'photos') return;
    let startX = event.clientX;
    this.stage.setPointerCapture(event.pointerId);
    this.stage.classList.add('dragging');
    const move = (e) => {
      const steps = dragSteps(e.clientX - startX);
      if (steps !== 0) {
        startX -= steps * DRAG_STEP_PX;
        this.setView(turn(this.state.view, steps));
      }
    };
    const up = () => {
      this.stage.classList.remove('dragging');
      this.stage.removeEventListener('pointermove', move);
      this.stage.removeEventListener('pointerup', up);
      this.stage.removeEventListener('pointercancel', up);
    };
    this.stage.addEventListener('pointermove', move);
    this.stage.addEventListener('pointerup', up);
    this.stage.addEventListener('pointercancel', up);
  },
};
