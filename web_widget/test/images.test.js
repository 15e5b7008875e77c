import assert from 'node:assert/strict';
import { test } from 'node:test';

import { heightFor, pickWidth, srcset, WIDTHS } from '../lib/images.js';

test('the width covers the box at the device pixel ratio', () => {
  assert.equal(pickWidth(300, 1), 384);
  assert.equal(pickWidth(256, 1), 256);
  assert.equal(pickWidth(336, 2), 768); // a 360 px phone at 2x
  assert.equal(pickWidth(170, 3), 512);
  assert.equal(pickWidth(900, 2), 1024); // capped at the largest
  assert.equal(pickWidth(0, 0), 256);
});

test('heights keep the 2:3 stage', () => {
  assert.deepEqual(WIDTHS.map(heightFor), [384, 576, 768, 1152, 1536]);
});

test('srcset lists every width with its descriptor', () => {
  assert.equal(srcset((w) => `/r?w=${w}`, [256, 512]), '/r?w=256 256w, /r?w=512 512w');
});
