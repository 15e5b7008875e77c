import { test } from 'node:test';
import assert from 'node:assert/strict';

import { describeColorway, startingColorway } from '../lib/colorways.js';

const COLORWAYS = [
  { id: 'navy', name: 'Navy', color: '#1f2a44', has_texture: false, fabric: null },
  { id: 'wine-velvet', name: 'Wine velvet', color: '#5a0a1e', has_texture: false, fabric: 'velvet' },
  { id: 'stripes', name: 'Stripes', color: '#7c9a4e', has_texture: true, fabric: null },
];

test('the colorway asked for is shown first, by id or by name in any case', () => {
  assert.equal(startingColorway(COLORWAYS, 'stripes'), 'stripes');
  assert.equal(startingColorway(COLORWAYS, ' WINE VELVET '), 'wine-velvet');
});

test('otherwise the first colorway, and none for a garment without colorways', () => {
  assert.equal(startingColorway(COLORWAYS, 'plaid'), 'navy');
  assert.equal(startingColorway(COLORWAYS, null), 'navy');
  assert.equal(startingColorway([], 'navy'), null);
  assert.equal(startingColorway(undefined, 'navy'), null);
});

test('a swatch says its name, and whether it is a print or a fabric', () => {
  assert.equal(describeColorway(COLORWAYS[0]), 'Navy');
  assert.equal(describeColorway(COLORWAYS[1]), 'Wine velvet (velvet)');
  assert.equal(describeColorway(COLORWAYS[2]), 'Stripes (print)');
});
