/**
 * The live 3D view: the draped body and garment as one GLB
 * (GET /v1/scene.glb), shown with <model-viewer>, which offers augmented
 * reality where the device has it: WebXR or Android's Scene Viewer on the
 * GLB, iOS AR Quick Look on the same scene as USDZ (GET /v1/scene.usdz, in
 * the colorway on screen: Quick Look cannot switch variants). With a
 * motion it is the animated GLB of the body moving in the garment
 * (GET /v1/scene.glb?motion=), played in a loop. The viewer (about 290 KB
 * gzipped) is imported only when a shopper asks for 3D, from `viewerSrc`:
 * by default the copy this server serves (web_widget/vendor/), so it works
 * offline and under a `script-src` that names only the tryon server.
 */
import { h, replace } from './dom.js';

const viewers = new Map(); // viewerSrc -> Promise of its import

/**
 * Import the 3D viewer module once, unless the page already defines <model-viewer>.
 * @param {string} viewerSrc module URL
 * @returns {Promise<void>}
 */
export function loadViewer(viewerSrc) {
  if (customElements.get('model-viewer')) return Promise.resolve();
  if (!viewers.has(viewerSrc)) {
    viewers.set(viewerSrc, import(viewerSrc).then(() => customElements.whenDefined('model-viewer'), (error) => {
      viewers.delete(viewerSrc);
      throw error;
    }));
  }
  return viewers.get(viewerSrc);
}

/**
 * Replace `stage`'s content with a <model-viewer> of the scene, once both
 * the GLB (202 jobs followed) and the viewer are ready. The GLB holds every
 * colorway as a material variant (KHR_materials_variants): `variant` names
 * the one to show, and `setVariant` switches without loading anything.
 * @param {{client: import('./api.js').Client, viewerSrc: string, stage: HTMLElement,
 *   params: {avatar: string, garment: string, size: string}, variant: string|null,
 *   colorway: string|null, motion: string|null, seconds: number, alt: string,
 *   isCurrent: () => boolean, signal?: AbortSignal}} options  `variant` the colorway's name,
 *   `colorway` its id; `motion` (walk) plays it for `seconds`; `signal` cancels the download
 * @returns {Promise<{destroy: () => void, setVariant: (name: string|null, colorway: string|null) => void}>}
 */
export async function openScene({ client, viewerSrc, stage, params, variant, colorway, motion, seconds, alt, isCurrent, signal }) {
  const url = client.url('/v1/scene.glb', motion ? { ...params, motion, seconds } : params);
  const arUrl = (id) => client.url('/v1/scene.usdz', { ...params, colorway: id });
  await Promise.all([client.ready(url, { signal }).then((r) => r.arrayBuffer()), loadViewer(viewerSrc)]);
  if (!isCurrent()) return { destroy() {}, setVariant() {} };
  const viewer = h('model-viewer', {
    src: url, alt, 'camera-controls': true, 'touch-action': 'pan-y', 'shadow-intensity': '0.6',
    exposure: '0.8', 'interaction-prompt': 'none', 'camera-orbit': '0deg 90deg 105%',
    'variant-name': variant ?? null, ar: true, 'ar-modes': 'webxr scene-viewer quick-look',
    'ios-src': arUrl(colorway), autoplay: Boolean(motion),
  });
  await new Promise((resolve, reject) => {
    viewer.addEventListener('load', () => resolve(), { once: true });
    viewer.addEventListener('error', (e) => reject(new Error(`the 3D model did not load: ${e.detail?.type ?? 'error'}`)), { once: true });
    replace(stage, viewer);
  });
  return {
    destroy: () => viewer.remove(),
    setVariant: (name, id) => {
      viewer.variantName = name ?? null;
      viewer.setAttribute('ios-src', arUrl(id));
    },
  };
}
