import assert from 'node:assert/strict';
import { test } from 'node:test';

import { describeAvatar, euSizes, filterAvatars, isTwin, MONK_TONES, startingAvatar } from '../lib/avatars.js';

const LIBRARY = [
  { id: 'f152-eu34', label: 'Woman, 152 cm, EU 34', sex: 'female', height_cm: 152, eu_size: 34, skin_tone: 3 },
  { id: 'f165-eu40', label: 'Woman, 165 cm, EU 40', sex: 'female', height_cm: 165, eu_size: 40, skin_tone: 6 },
  { id: 'f170-eu44', label: 'Woman, 170 cm, EU 44', sex: 'female', height_cm: 170, eu_size: 44, skin_tone: 9 },
  { id: 'm185-eu52', label: 'Man, 185 cm, EU 52', sex: 'male', height_cm: 185, eu_size: 52, skin_tone: 6 },
  { id: 'twin-ada', label: 'Ada (digital twin)', sex: 'female', height_cm: 174, eu_size: null, skin_tone: 4, kind: 'twin' },
];

test('filters combine; empty means any', () => {
  assert.equal(filterAvatars(LIBRARY, {}).length, 5);
  assert.deepEqual(filterAvatars(LIBRARY, { height: '160-170' }).map((a) => a.id), ['f165-eu40']);
  assert.deepEqual(filterAvatars(LIBRARY, { height: '170-180' }).map((a) => a.id), ['f170-eu44', 'twin-ada']);
  assert.deepEqual(filterAvatars(LIBRARY, { tone: '6' }).map((a) => a.id), ['f165-eu40', 'm185-eu52']);
  assert.deepEqual(filterAvatars(LIBRARY, { size: 44, tone: 9 }).map((a) => a.id), ['f170-eu44']);
  assert.deepEqual(filterAvatars(LIBRARY, { height: 'under-160', tone: '9' }), []);
});

test('sizes come sorted and only from library bodies', () => {
  assert.deepEqual(euSizes(LIBRARY), [34, 40, 44, 52]);
});

test('twins are marked by kind; a missing kind is not a twin', () => {
  assert.equal(isTwin(LIBRARY[4]), true);
  assert.equal(isTwin(LIBRARY[0]), false);
  assert.equal(isTwin({ kind: 'library' }), false);
  assert.equal(isTwin(null), false);
});

test('descriptions read well for alt text', () => {
  assert.equal(describeAvatar(LIBRARY[1]), 'Woman, 165 cm, EU 40, skin tone 6 of 10');
  assert.equal(describeAvatar({ id: 'm-1', sex: 'neutral', height_cm: 171.4, skin_tone: 5 }), '171 cm, skin tone 5 of 10');
});

test('the starting body is the asked one, else a mid-size woman', () => {
  assert.equal(startingAvatar(LIBRARY, 'm185-eu52').id, 'm185-eu52');
  assert.equal(startingAvatar(LIBRARY, 'unknown').id, 'f165-eu40');
  assert.equal(startingAvatar([]), null);
  assert.equal(MONK_TONES.length, 10);
});
