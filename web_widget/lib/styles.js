/**
 * The widget's styles, applied to its shadow root as a constructed
 * stylesheet (no <style> element, no style attributes: nothing a strict
 * `style-src` refuses). Pages theme it with the --tryon-* custom
 * properties, which cross the shadow boundary by design.
 */
export const CSS = `
:host {
  --_font: var(--tryon-font, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  --_text: var(--tryon-text, #1d1d1f);
  --_muted: var(--tryon-muted, #5f6368);
  --_bg: var(--tryon-background, #ffffff);
  --_surface: var(--tryon-surface, #f4f2ee);
  --_border: var(--tryon-border, #d9d6d0);
  --_accent: var(--tryon-accent, #1f5eff);
  --_accent-text: var(--tryon-accent-text, #ffffff);
  --_error: var(--tryon-error, #b3261e);
  --_radius: var(--tryon-radius, 12px);
  --_focus: var(--tryon-focus, var(--_accent));
  display: block;
  container-type: inline-size;
  font-family: var(--_font);
  color: var(--_text);
  background: var(--_bg);
  border-radius: var(--_radius);
  min-height: 420px;
  line-height: 1.4;
  font-size: 15px;
}
:host([theme="dark"]) {
  --_text: var(--tryon-text, #f1f1f1);
  --_muted: var(--tryon-muted, #b4b4b4);
  --_bg: var(--tryon-background, #17181b);
  --_surface: var(--tryon-surface, #24262b);
  --_border: var(--tryon-border, #3b3e45);
  --_accent: var(--tryon-accent, #8ab4ff);
  --_accent-text: var(--tryon-accent-text, #0b1a33);
  --_error: var(--tryon-error, #ffb4ab);
}
:host([hidden]) { display: none; }
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
button, input, select { font: inherit; color: inherit; }
:focus-visible { outline: 3px solid var(--_focus); outline-offset: 2px; }
.tw { display: grid; gap: 16px; padding: 12px; }
/* one column on phones, the picture no taller than a screen; two columns from 560 px */
.stage-wrap { width: 100%; max-width: min(440px, calc((100dvh - 120px) * 2 / 3)); min-width: min(100%, 240px);
  margin: 0 auto; }
@container (min-width: 560px) {
  .tw { grid-template-columns: minmax(0, 1.1fr) minmax(0, 1fr); align-items: start; padding: 16px; }
  .stage-wrap { max-width: none; }
}
.placeholder { display: grid; place-items: center; min-height: 420px; color: var(--_muted);
  background: var(--_surface); border-radius: var(--_radius); }
.stage { position: relative; display: flex; gap: 8px; background: var(--_surface);
  border-radius: var(--_radius); aspect-ratio: 2 / 3; overflow: hidden; cursor: grab;
  touch-action: pan-y; user-select: none; -webkit-user-select: none; }
.stage.compare { aspect-ratio: 4 / 3; }
.stage.dragging { cursor: grabbing; }
.shot { position: relative; margin: 0; flex: 1 1 0; min-width: 0; display: flex; }
.shot img { width: 100%; height: 100%; object-fit: contain; display: block; pointer-events: none; }
.stage video { width: 100%; height: 100%; object-fit: contain; display: block; }
/* over the clip: a big play button on its poster; a small pause button in a corner while it plays */
.play-pause { position: absolute; inset: 0; margin: auto; inline-size: 64px; block-size: 64px; border: 0;
  border-radius: 50%; display: grid; place-items: center; cursor: pointer; color: #fff;
  background: rgb(0 0 0 / 0.6); }
.play-pause::before { content: ""; margin-left: 6px; border-left: 22px solid currentColor;
  border-block: 13px solid transparent; }
.play-pause.playing { inset: auto 8px 8px auto; inline-size: 40px; block-size: 40px; }
.play-pause.playing::before { margin: 0; inline-size: 14px; block-size: 16px;
  border-inline: 4px solid currentColor; border-block: 0; }
.shot .tag { position: absolute; top: 8px; left: 8px; background: var(--_bg); color: var(--_text);
  border-radius: 999px; padding: 2px 10px; font-size: 13px; font-weight: 600;
  box-shadow: 0 1px 3px rgb(0 0 0 / 0.15); }
.stage-holder { position: relative; }
.busy, .error { position: absolute; inset: 0; display: grid; place-content: center; justify-items: center;
  gap: 10px; padding: 16px; text-align: center; }
.busy { background: color-mix(in srgb, var(--_surface) 55%, transparent); color: var(--_text);
  font-weight: 600; pointer-events: none; }
.spinner { width: 28px; height: 28px; border-radius: 50%; border: 3px solid var(--_border);
  border-top-color: var(--_accent); animation: spin 0.9s linear infinite; }
@keyframes spin { to { transform: rotate(1turn); } }
@media (prefers-reduced-motion: reduce) { .spinner { animation-duration: 3s; } }
.error { background: var(--_surface); cursor: auto; }
.error strong { color: var(--_error); font-size: 16px; }
.error small { color: var(--_muted); max-width: 36ch; overflow-wrap: anywhere; }
.disclosure { margin: 6px 2px 0; font-size: 12.5px; color: var(--_muted); }
.disclosure.twin { color: var(--_text); font-weight: 600; }
.twin-badge { position: absolute; left: 8px; bottom: 8px; margin: 0; padding: 3px 10px; border-radius: 999px;
  background: rgb(0 0 0 / 0.7); color: #fff; font-size: 12px; font-weight: 600; pointer-events: none; }
.turn { display: flex; align-items: center; justify-content: center; gap: 12px; margin-top: 8px; }
.turn .view { min-width: 9ch; text-align: center; font-size: 14px; }
.icon { inline-size: 40px; block-size: 40px; border-radius: 50%; border: 1px solid var(--_border);
  background: var(--_bg); cursor: pointer; font-size: 18px; line-height: 1; }
.btn { border: 1px solid var(--_border); background: var(--_bg); border-radius: calc(var(--_radius) * 0.75);
  padding: 8px 14px; cursor: pointer; min-height: 40px; }
.btn.primary { background: var(--_accent); color: var(--_accent-text); border-color: var(--_accent); }
.btn:disabled { opacity: 0.5; cursor: not-allowed; }
.row { display: flex; align-items: center; justify-content: space-between; gap: 8px; flex-wrap: wrap; }
.tools { display: flex; gap: 8px; flex-wrap: wrap; justify-content: center; margin-top: 8px; }
.panel { display: grid; gap: 14px; align-content: start; }
h2, h3 { margin: 0; font-size: 16px; }
.muted { color: var(--_muted); font-size: 13.5px; }
fieldset { border: 0; padding: 0; margin: 0; min-width: 0; }
legend { font-weight: 600; margin-bottom: 6px; padding: 0; }
.sizes { display: flex; flex-wrap: wrap; gap: 6px; }
.pill { position: relative; }
.pill input { position: absolute; opacity: 0; inset: 0; margin: 0; cursor: pointer; }
.pill span { display: inline-grid; place-items: center; min-width: 44px; min-height: 40px; padding: 0 12px;
  border: 1px solid var(--_border); border-radius: calc(var(--_radius) * 0.75); background: var(--_bg); }
.pill input:checked + span { background: var(--_accent); color: var(--_accent-text); border-color: var(--_accent); }
.pill input:focus-visible + span { outline: 3px solid var(--_focus); outline-offset: 2px; }
.pill .rec { position: absolute; top: -7px; right: -5px; min-width: 0; min-height: 0; padding: 0 5px;
  font-size: 10px; border-radius: 999px; background: var(--_fits, #34a853); color: #fff; border: 0; }
.swatches { display: flex; flex-wrap: wrap; gap: 8px; }
.colorway { position: relative; }
.colorway input { position: absolute; opacity: 0; inset: 0; margin: 0; cursor: pointer; }
.chip-colour { display: block; inline-size: 34px; block-size: 34px; border-radius: 999px;
  border: 1px solid var(--_border); box-shadow: inset 0 0 0 3px var(--_bg); }
.chip-colour.print { background-image: repeating-linear-gradient(45deg, transparent 0 5px, rgba(255,255,255,.35) 5px 8px) !important; }
.colorway input:checked + .chip-colour { border: 2px solid var(--_accent); }
.colorway input:focus-visible + .chip-colour { outline: 3px solid var(--_focus); outline-offset: 2px; }
.options { display: flex; flex-wrap: wrap; gap: 10px 18px; align-items: center; }
.options label { display: inline-flex; gap: 6px; align-items: center; }
.video-tools { display: inline-flex; flex-wrap: wrap; justify-content: center; gap: 8px; }
.video-tools .btn { white-space: nowrap; }
.options select, .tools select { padding: 6px 8px; border-radius: 8px; border: 1px solid var(--_border); background: var(--_bg); }
.legend { display: flex; flex-wrap: wrap; gap: 6px 14px; list-style: none; padding: 0; margin: 0; font-size: 13px; }
.legend li { display: inline-flex; align-items: center; gap: 6px; }
.swatch { inline-size: 14px; block-size: 14px; border-radius: 4px; display: inline-block; flex: none; }
.fit { background: var(--_surface); border-radius: var(--_radius); padding: 12px 14px; display: grid; gap: 8px; }
.regions { list-style: none; padding: 0; margin: 0; display: grid; gap: 4px 10px; align-items: baseline;
  grid-template-columns: max-content max-content minmax(0, 1fr); }
.regions li { display: contents; }
.chip { font-size: 12.5px; font-weight: 600; border-radius: 999px; padding: 1px 9px; color: #fff;
  justify-self: start; }
.chip.fits { background: #2e7d32; } .chip.tight { background: #c5221f; } .chip.loose { background: #1a5fd0; }
.chip.short, .chip.long { background: #8a5a00; }
.advice { margin: 0; font-weight: 600; }
.body { display: flex; gap: 10px; align-items: center; }
.body .tone { inline-size: 22px; block-size: 22px; border-radius: 50%; border: 1px solid var(--_border); flex: none; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
dialog { border: 0; border-radius: var(--_radius); padding: 0; background: var(--_bg); color: var(--_text);
  width: min(760px, calc(100vw - 16px)); max-height: calc(100dvh - 16px); font-family: var(--_font); }
dialog::backdrop { background: rgb(0 0 0 / 0.45); }
.dlg { display: grid; gap: 12px; padding: 14px; }
.tabs { display: flex; gap: 4px; border-bottom: 1px solid var(--_border); }
.tabs button { border: 0; background: none; padding: 8px 12px; cursor: pointer; border-bottom: 3px solid transparent; }
.tabs button[aria-selected="true"] { border-bottom-color: var(--_accent); font-weight: 600; }
.filters { display: flex; flex-wrap: wrap; gap: 10px; align-items: end; }
.filters label { display: grid; gap: 2px; font-size: 13px; }
.filters select { padding: 6px 8px; border-radius: 8px; border: 1px solid var(--_border); background: var(--_bg); }
.tones { display: flex; flex-wrap: wrap; gap: 4px; }
.tones label { position: relative; }
.tones input { position: absolute; opacity: 0; inset: 0; margin: 0; cursor: pointer; }
.tones .dot { display: block; inline-size: 26px; block-size: 26px; border-radius: 50%; border: 2px solid var(--_border); }
.tones .any { display: grid; place-items: center; font-size: 11px; inline-size: auto; padding: 0 6px; border-radius: 13px; }
.tones input:checked + .dot { border-color: var(--_accent); box-shadow: 0 0 0 2px var(--_accent); }
.tones input:focus-visible + .dot { outline: 3px solid var(--_focus); outline-offset: 2px; }
.grid { list-style: none; margin: 0; padding: 2px; display: grid; gap: 8px;
  grid-template-columns: repeat(auto-fill, minmax(96px, 1fr)); overflow: auto; max-height: 56dvh; }
.card { width: 100%; border: 1px solid var(--_border); border-radius: calc(var(--_radius) * 0.75);
  background: var(--_surface); padding: 4px; cursor: pointer; display: grid; gap: 2px; text-align: center; font-size: 12.5px; }
.card[aria-pressed="true"] { border-color: var(--_accent); box-shadow: 0 0 0 2px var(--_accent); }
.card img { width: 100%; aspect-ratio: 2 / 3; object-fit: contain; background: var(--_surface); }
.form { display: grid; gap: 10px; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); }
.form label { display: grid; gap: 3px; font-size: 13.5px; align-content: start; }
.form input, .form select { padding: 8px; border: 1px solid var(--_border); border-radius: 8px; background: var(--_bg); }
.form input[aria-invalid="true"] { border-color: var(--_error); }
.field-error { color: var(--_error); font-size: 12.5px; }
.form-actions { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }
.note { font-size: 12.5px; color: var(--_muted); margin: 0; }
model-viewer { width: 100%; height: 100%; background: var(--_surface); --poster-color: transparent; }
`;
