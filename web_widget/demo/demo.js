/**
 * The demo store's own script (not part of the widget): it keeps the
 * store's size <select> and the widget in step, both ways, and shows the
 * widget's recommendation next to the store's picker. It shows how a
 * store reacts to the widget's events.
 */
for (const viewer of document.querySelectorAll('tryon-viewer')) {
  const select = document.getElementById(viewer.dataset.sizeSelect);
  const note = document.getElementById(viewer.dataset.rec);
  select?.addEventListener('change', () => viewer.setAttribute('size', select.value));
  viewer.addEventListener('tryon:size-change', (event) => {
    if (select) select.value = event.detail.size;
  });
  viewer.addEventListener('tryon:recommendation', (event) => {
    const { size, recommendedSize, advice } = event.detail;
    if (!note) return;
    note.textContent = recommendedSize
      ? (recommendedSize === size ? `Size ${size} fits the body you picked.`
        : `For the body you picked we suggest size ${recommendedSize} (${advice}).`)
      : `Size ${size}: ${advice}.`;
  });
}
