import assert from 'node:assert/strict';
import { test } from 'node:test';

import { dragSteps, normalizeView, turn, VIEWS, viewForKey } from '../lib/views.js';

test('the views are the API\'s names, in camera order', () => {
  assert.deepEqual(VIEWS, ['front', 'three-quarter', 'left', 'back', 'right']);
});

test('turning wraps around both ways', () => {
  assert.equal(turn('front', 1), 'three-quarter');
  assert.equal(turn('front', -1), 'right');
  assert.equal(turn('right', 1), 'front');
  assert.equal(turn('back', 6), 'right');
  assert.equal(turn('nonsense', 0), 'front');
});

test('dragging right shows the right side; small drags do nothing', () => {
  assert.equal(dragSteps(59), 0);
  assert.equal(turn('front', dragSteps(61)), 'right');
  assert.equal(turn('front', dragSteps(-130)), 'left');
});

test('arrow keys turn like a drag, Home and End jump, other keys are not ours', () => {
  assert.equal(viewForKey('ArrowRight', 'front'), 'right');
  assert.equal(viewForKey('ArrowLeft', 'front'), 'three-quarter');
  assert.equal(viewForKey('Home', 'back'), 'front');
  assert.equal(viewForKey('End', 'front'), 'back');
  assert.equal(viewForKey('a', 'front'), null);
  assert.equal(normalizeView('side'), 'front');
  assert.equal(normalizeView('back'), 'back');
});
