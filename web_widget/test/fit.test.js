import assert from 'node:assert/strict';
import { test } from 'node:test';

import { LEGEND, sentence, summarizeFit } from '../lib/fit.js';

test('a report becomes one row per region and a recommendation', () => {
  const fit = summarizeFit({
    size: 'M', advice: 'tight in M; L fits you best', recommended_size: 'L',
    regions: [
      { region: 'chest', verdict: 'tight', mean_stretch: 0.052, extra_ease_cm: 0.5 },
      { region: 'waist', verdict: 'fits', mean_stretch: 0.01, extra_ease_cm: 2 },
      { region: 'hips', verdict: 'loose', mean_stretch: 0.0, extra_ease_cm: 7.6 },
      { region: 'length', verdict: 'short', mean_stretch: 0, hem_shift_pct: 4.2 },
    ],
  });
  assert.deepEqual(fit.rows.map((r) => [r.label, r.verdictLabel, r.note]), [
    ['Chest', 'Tight', 'stretched 5\u00a0%'],
    ['Waist', 'Fits', ''],
    ['Hips', 'Loose', '8\u00a0cm extra room'],
    ['Length', 'Short', 'hem 4.2\u00a0% of height higher than designed'],
  ]);
  assert.equal(fit.advice, 'Tight in M; L fits you best.');
  assert.equal(fit.recommended, 'L');
  assert.equal(fit.fitsAsIs, false);
});

test('a fitting size recommends itself; no recommendation is null', () => {
  assert.equal(summarizeFit({ size: 'S', regions: [], advice: 'S fits you best', recommended_size: 'S' }).fitsAsIs, true);
  const none = summarizeFit({ size: 'XL', regions: [], advice: 'tight even in the largest size', recommended_size: null });
  assert.equal(none.recommended, null);
  assert.equal(none.advice, 'Tight even in the largest size.');
});

test('sentences and legend', () => {
  assert.equal(sentence(''), '');
  assert.equal(sentence('fits.'), 'Fits.');
  assert.deepEqual(LEGEND.map((l) => l.verdict), ['loose', 'fits', 'tight']);
});
