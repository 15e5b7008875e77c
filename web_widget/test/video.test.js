import assert from 'node:assert/strict';
import { test } from 'node:test';

import { apiUrl } from '../lib/api.js';
import { backgroundParam, progressText, VIDEO_MOTIONS, videoQuery, videoSize } from '../lib/video.js';

// the API's limits on a video's frame (tryon/render/video_params.py)
const MIN_SIDE = 64;
const MAX_WIDTH = 1080;
const MAX_HEIGHT = 1920;

const SHOWN = {
  avatar: { id: 'f165-eu40' }, garment: { id: 'midi-dress' }, size: 'M', colorway: 'cherry', motion: 'turntable',
};

test('a clip is the stage\'s size on the pictures\' ladder: 2:3, both sides even, within the API\'s limits', () => {
  assert.deepEqual(videoSize(440), { width: 512, height: 768 });
  assert.deepEqual(videoSize(300), { width: 384, height: 576 });
  assert.deepEqual(videoSize(0), { width: 256, height: 384 });
  for (let css = 0; css <= 3000; css += 7) { // odd stage widths too
    const { width, height } = videoSize(css);
    assert.equal(width % 2, 0, `width for ${css}`);
    assert.equal(height % 2, 0, `height for ${css}`);
    assert.ok(width >= MIN_SIDE && width <= MAX_WIDTH && height >= MIN_SIDE && height <= MAX_HEIGHT, `${css}`);
    assert.ok(width >= Math.min(css, 1024), `covers ${css}`);
  }
});

test('the clip asks for a 4 s, 24 fps MP4 of what the stage shows', () => {
  const url = new URL(apiUrl('https://tryon.example', '/v1/video',
    videoQuery(SHOWN, videoSize(440), '243,238,231')));
  assert.deepEqual(Object.fromEntries(url.searchParams), {
    avatar: 'f165-eu40', garment: 'midi-dress', size: 'M', colorway: 'cherry', motion: 'turntable',
    seconds: '4', fps: '24', width: '512', height: '768', format: 'mp4', background: '243,238,231',
  });
});

test('a twin\'s clip asks for no drawn label (the widget shows its own); others leave it to the API', () => {
  const twin = videoQuery({ ...SHOWN, avatar: { id: 'twin-ada', kind: 'twin' }, motion: 'walk' }, videoSize(300));
  assert.equal(twin.label, 0);
  assert.equal(twin.motion, 'walk');
  assert.equal(videoQuery(SHOWN, videoSize(300)).label, null);
  assert.equal(videoQuery(SHOWN, videoSize(300)).background, null);
});

test('the motions offered are turntable and walk', () => {
  assert.deepEqual(VIDEO_MOTIONS, { turntable: 'Turntable', walk: 'Walk' });
});

test('progress counts frames in tens, and says nothing before the first frame', () => {
  assert.equal(progressText(null), 'Making the video\u2026');
  assert.equal(progressText({ status: 'queued', progress: { done: 0, total: 1 } }), 'Making the video\u2026');
  assert.equal(progressText({ progress: { done: 0, total: 96 } }), 'Making the video\u2026');
  assert.equal(progressText({ progress: { done: 40, total: 96 } }), 'Making the video\u2026 40 %');
  assert.equal(progressText({ progress: { done: 9, total: 96 } }), 'Making the video\u2026 0 %');
  assert.equal(progressText({ progress: { done: 96, total: 96 } }), 'Making the video\u2026 100 %');
  assert.equal(progressText({ progress: { done: 120, total: 96 } }), 'Making the video\u2026 100 %');
});

test('an opaque stage colour becomes the clip\'s background; anything else leaves the API\'s white', () => {
  assert.equal(backgroundParam('rgb(243, 238, 231)'), '243,238,231');
  assert.equal(backgroundParam('rgba(0, 0, 0, 0)'), null);
  assert.equal(backgroundParam('color(srgb 0.9 0.9 0.9)'), null);
  assert.equal(backgroundParam(''), null);
});
