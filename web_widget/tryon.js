/**
 * tryon storefront widget: `<tryon-viewer garment="ID" key="PUBLISHABLE_KEY">`.
 *
 * This entry module only defines the element. Nothing else loads (no
 * widget code, no API call, no image) until the element comes within
 * LAZY_MARGIN of the viewport; then lib/widget.js is imported and mounted.
 *
 * Attributes: garment, key (required); size, colorway (an id or name), avatar, view, theme
 * (light | dark); api (the tryon server, default: where this file came
 * from); viewer-src (the 3D viewer module, default: the copy we serve).
 */
import { CSS } from './lib/styles.js';

/** How close to the viewport the element must come before it loads. */
const LAZY_MARGIN = '300px';
/** The tryon server this module was served by. */
const HOME = new URL('../../', import.meta.url).href;

let sheet = null;
function styleSheet() {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
  }
  return sheet;
}

/** The `<tryon-viewer>` element. */
export class TryonViewer extends HTMLElement {
  static observedAttributes = ['garment', 'key', 'size', 'colorway', 'avatar', 'view', 'theme'];

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    root.adoptedStyleSheets = [styleSheet()];
    const placeholder = document.createElement('div');
    placeholder.className = 'placeholder';
    placeholder.textContent = 'Virtual try-on';
    root.append(placeholder);
    this.app = null;
    this.observer = null;
  }

  connectedCallback() {
    if (this.app || this.observer) return;
    if (!('IntersectionObserver' in window)) {
      this.start();
      return;
    }
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        this.observer.disconnect();
        this.observer = null;
        this.start();
      }
    }, { rootMargin: LAZY_MARGIN });
    this.observer.observe(this);
  }

  disconnectedCallback() {
    this.observer?.disconnect();
    this.observer = null;
    this.app?.destroy();
    this.app = null;
    this.shadowRoot.replaceChildren();
  }

  attributeChangedCallback(name, oldValue, value) {
    if (oldValue !== value) this.app?.attributeChanged(name, value);
  }

  async start() {
    const { mount } = await import('./lib/widget.js');
    if (!this.isConnected || this.app) return;
    this.app = mount(this, {
      base: this.getAttribute('api') || HOME,
      viewerSrc: this.getAttribute('viewer-src')
        || new URL('./vendor/model-viewer-4.4.0/model-viewer.min.js', import.meta.url).href,
    });
  }
}

if (!customElements.get('tryon-viewer')) customElements.define('tryon-viewer', TryonViewer);
