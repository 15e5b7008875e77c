/**
 * The fit report (GET /v1/fit) as the shopper reads it.
 */

/** Region names the API uses, with labels. */
export const REGION_LABELS = Object.freeze({
  shoulders: 'Shoulders', chest: 'Chest', waist: 'Waist', hips: 'Hips', length: 'Length',
});

/** Verdicts, with labels. */
export const VERDICT_LABELS = Object.freeze({
  loose: 'Loose', fits: 'Fits', tight: 'Tight', short: 'Short', long: 'Long',
});

/** The fit map's colours (tryon/fit.py FIT_COLOURS) and what they mean. */
export const LEGEND = Object.freeze([
  { verdict: 'loose', colour: '#4285f4', label: 'Loose: more than 6 cm of extra room' },
  { verdict: 'fits', colour: '#34a853', label: 'Fits' },
  { verdict: 'tight', colour: '#ea4335', label: 'Tight: stretched more than 3 %' },
]);

/** The ease map's colours (tryon/fit/strain.py EASE_COLOURS): room between body and cloth. */
export const EASE_LEGEND = Object.freeze([
  { colour: '#ca0020', label: 'On the body' },
  { colour: '#f4a582', label: '1 cm' },
  { colour: '#f7f7f7', label: '3 cm' },
  { colour: '#92c5de', label: '6 cm' },
  { colour: '#0571b0', label: '10 cm or more' },
]);

/** The fit maps a shopper can pick, and what the picture's text says of each. */
export const FIT_MAPS = Object.freeze({
  stretch: { label: 'Tight or loose', alt: 'coloured by fit (blue loose, green fits, red tight)' },
  ease: { label: 'Room to spare', alt: 'coloured by the room between body and cloth (red on the body, blue 10 cm or more)' },
});

/**
 * One line per region, the advice and the recommended size.
 * @param {{size: string, regions: object[], advice: string, recommended_size: string|null}} report
 * @returns {{rows: {region: string, label: string, verdict: string, verdictLabel: string, note: string}[],
 *   advice: string, recommended: string|null, fitsAsIs: boolean}}
 */
export function summarizeFit(report) {
  const rows = (report.regions ?? []).map((r) => ({
    region: r.region,
    label: REGION_LABELS[r.region] ?? r.region,
    verdict: r.verdict,
    verdictLabel: VERDICT_LABELS[r.verdict] ?? r.verdict,
    note: noteFor(r),
  }));
  const recommended = report.recommended_size ?? null;
  return { rows, advice: sentence(report.advice ?? ''), recommended, fitsAsIs: recommended === report.size };
}

function noteFor(region) {
  if (region.region === 'length' && Number.isFinite(region.hem_shift_pct) && region.verdict !== 'fits') {
    return `hem ${Math.abs(region.hem_shift_pct)}\u00a0% of height ${region.verdict === 'short' ? 'higher' : 'lower'} than designed`;
  }
  if (region.verdict === 'tight' && Number.isFinite(region.mean_stretch)) {
    return `stretched ${Math.round(region.mean_stretch * 100)}\u00a0%`;
  }
  if (region.verdict === 'loose' && Number.isFinite(region.extra_ease_cm)) {
    return `${Math.round(region.extra_ease_cm)}\u00a0cm extra room`;
  }
  return '';
}

/**
 * Capitalise the API's advice into a sentence.
 * @param {string} text
 * @returns {string}
 */
export function sentence(text) {
  const t = text.trim();
  return t ? `${t[0].toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? '' : '.'}` : '';
}
