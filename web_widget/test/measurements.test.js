import assert from 'node:assert/strict';
import { test } from 'node:test';

import { forgetBody, loadBody, saveBody, STORAGE_KEY, validateMeasurements } from '../lib/measurements.js';

/** A Storage with the Web Storage interface, kept in a Map. */
class MapStorage {
  constructor() { this.map = new Map(); }
  getItem(k) { return this.map.has(k) ? this.map.get(k) : null; }
  setItem(k, v) { this.map.set(k, String(v)); }
  removeItem(k) { this.map.delete(k); }
}

test('height is required, the rest optional, all within the API\'s limits', () => {
  assert.deepEqual(validateMeasurements({ height: '168', waist: '' }),
    { ok: true, values: { height: 168 }, errors: {} });
  const missing = validateMeasurements({ chest: '90' });
  assert.equal(missing.ok, false);
  assert.match(missing.errors.height, /height/i);
  const out = validateMeasurements({ height: '168', waist: '30', hips: 'lots' });
  assert.equal(out.errors.waist, 'Waist must be between 55 and 140 cm.');
  assert.equal(out.errors.hips, 'Hips must be a number of centimetres.');
  assert.deepEqual(validateMeasurements({ height: '170,5', chest: 92.25 }).values, { height: 170.5, chest: 92.3 });
});

test('the body is remembered in storage only, and can be forgotten', () => {
  const storage = new MapStorage();
  assert.equal(loadBody(storage), null);
  const body = { measurements: { height: 170 }, sex: 'female', skinTone: 4, avatarId: 'm-abc' };
  assert.equal(saveBody(storage, body), true);
  assert.deepEqual(loadBody(storage), body);
  forgetBody(storage);
  assert.equal(loadBody(storage), null);
});

test('a refusing or broken storage means nothing is remembered', () => {
  const refusing = { getItem() { throw new Error('denied'); }, setItem() { throw new Error('full'); }, removeItem() {} };
  assert.equal(saveBody(refusing, { measurements: {} }), false);
  assert.equal(loadBody(refusing), null);
  assert.equal(loadBody(undefined), null);
  const storage = new MapStorage();
  storage.setItem(STORAGE_KEY, '{not json');
  assert.equal(loadBody(storage), null);
});
