import assert from 'node:assert/strict';
import { test } from 'node:test';

import { TryonError } from '../lib/api.js';
import { describeError } from '../lib/errors.js';

test('a refused origin names the origin and the fix, without a pointless retry', () => {
  const text = describeError(new TryonError('refused', 'cors'), { origin: 'https://shop.example' });
  assert.equal(text.retry, false);
  assert.match(text.title, /isn.t available on this site/);
  assert.match(text.developer, /https:\/\/shop\.example/);
});

test('transient failures offer a retry; invalid input shows the API\'s detail', () => {
  for (const kind of ['offline', 'busy', 'timeout', 'failed', 'server']) {
    assert.equal(describeError(new TryonError(kind, 'x')).retry, true, kind);
  }
  const invalid = describeError(new TryonError('invalid', '422', { detail: 'waist 40 is below 55 cm' }));
  assert.equal(invalid.message, 'waist 40 is below 55 cm');
  assert.equal(describeError(new Error('boom')).title, 'Something went wrong');
});

test('a twin withdrawn or not shown here asks for another body', () => {
  assert.match(describeError(new TryonError('gone', '410')).message, /Pick another body/);
  assert.equal(describeError(new TryonError('forbidden', '403')).retry, false);
});
