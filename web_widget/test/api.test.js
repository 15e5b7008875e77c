// The client against a local HTTP server that answers like the tryon API
// does for slow outputs (202 + Location + Retry-After, then the job, then 200).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';

import { apiUrl, Client, errorFrom, retryAfterSeconds, TryonError } from '../lib/api.js';

let server;
let base;
const seen = [];
let polls = 0;

before(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    seen.push(`${req.method} ${url.pathname}${url.search}`);
    const json = (status, body, headers = {}) => {
      res.writeHead(status, { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/v1/fit') {
      if (polls < 2) {
        json(202, { job: 'j1', status: 'queued', recommendation: { recommended_size: 'L', basis: 'chart' } },
          { Location: '/v1/jobs/j1', 'Retry-After': '1' });
      }
      else json(200, { size: 'M', recommended_size: 'L' });
    } else if (url.pathname === '/v1/jobs/j1') {
      polls += 1;
      json(200, { id: 'j1', status: polls < 2 ? 'running' : 'done' }, { 'Retry-After': '2' });
    } else if (url.pathname === '/v1/render') {
      json(202, { job: 'j2' }, { Location: '/v1/jobs/j2', 'Retry-After': '1' });
    } else if (url.pathname === '/v1/jobs/j2') {
      json(200, { id: 'j2', status: 'failed', error: 'the drape exploded' });
    } else if (url.pathname === '/v1/avatars' && req.method === 'POST') {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        if (req.headers.authorization !== 'Bearer tryon_pub_k') json(401, { title: 'Unauthorized', detail: 'no key' });
        else if (JSON.parse(body).waist < 55) json(422, { title: 'Unprocessable Entity', detail: 'waist: too small', field: 'waist' });
        else json(201, { id: 'm-1' });
      });
    } else if (url.pathname === '/v1/slow') {
      json(202, { job: 'j3' }, { Location: '/v1/jobs/j3', 'Retry-After': '5' });
    } else if (url.pathname === '/v1/jobs/j3') {
      json(200, { id: 'j3', status: 'running' }, { 'Retry-After': '5' });
    } else {
      json(404, { title: 'Not Found', detail: `no ${url.pathname}` });
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => server.close());

const waits = [];
const client = () => new Client({ base, key: 'tryon_pub_k', sleep: async (s) => { waits.push(s); } });

test('a 202 is followed through its job to the 200, honouring Retry-After', async () => {
  seen.length = 0;
  waits.length = 0;
  const early = [];
  const report = await client().getJSON('/v1/fit', { avatar: 'f165-eu40', garment: 'g', size: 'M' },
    { onPending: (body) => early.push(body.recommendation) });
  assert.deepEqual(report, { size: 'M', recommended_size: 'L' });
  assert.deepEqual(early, [{ recommended_size: 'L', basis: 'chart' }]); // the chart's, meanwhile
  assert.deepEqual(seen, [
    'GET /v1/fit?avatar=f165-eu40&garment=g&size=M&key=tryon_pub_k',
    'GET /v1/jobs/j1?key=tryon_pub_k',
    'GET /v1/jobs/j1?key=tryon_pub_k',
    'GET /v1/fit?avatar=f165-eu40&garment=g&size=M&key=tryon_pub_k',
  ]);
  assert.deepEqual(waits, [1, 2]);
});

test('a failed job is an error that carries its reason', async () => {
  await assert.rejects(client().ready(client().url('/v1/render', { avatar: 'a' })),
    (e) => e instanceof TryonError && e.kind === 'failed' && e.detail === 'the drape exploded');
});

test('a job that never ends times out', async () => {
  const impatient = new Client({ base, key: 'k', sleep: async () => {}, timeoutS: 8 });
  await assert.rejects(impatient.getJSON('/v1/slow'), (e) => e.kind === 'timeout');
});

test('problems become errors with kind, detail and field', async () => {
  await assert.rejects(client().postJSON('/v1/avatars', { height: 170, waist: 40 }),
    (e) => e.kind === 'invalid' && e.field === 'waist' && e.detail === 'waist: too small' && e.status === 422);
  assert.deepEqual(await client().postJSON('/v1/avatars', { height: 170 }), { id: 'm-1' });
  await assert.rejects(client().getJSON('/v1/garments/nope'), (e) => e.kind === 'not-found');
});

test('an unreachable server is "offline"', async () => {
  const gone = new Client({ base: 'http://127.0.0.1:9', key: 'k' });
  await assert.rejects(gone.getJSON('/v1/avatars'), (e) => e.kind === 'offline');
});

test('URLs and Retry-After parsing', async () => {
  assert.equal(apiUrl('http://h:1', '/v1/render', { a: 'x y', b: null, c: '', d: 0 }), 'http://h:1/v1/render?a=x+y&d=0');
  assert.equal(retryAfterSeconds('3'), 3);
  assert.equal(retryAfterSeconds(null), 1);
  assert.equal(retryAfterSeconds('soon', 2), 2);
  assert.equal(retryAfterSeconds('600'), 10);
  assert.equal(retryAfterSeconds(new Date(Date.UTC(2030, 0, 1, 0, 0, 4)).toUTCString(), 1, Date.UTC(2030, 0, 1)), 4);
  const refused = await errorFrom(new Response(JSON.stringify({ detail: 'not this site', field: 'Origin' }), { status: 403 }));
  assert.equal(refused.kind, 'refused');
  assert.equal((await errorFrom(new Response('{"field": "avatar"}', { status: 403 }))).kind, 'forbidden');
  assert.equal((await errorFrom(new Response('{}', { status: 410 }))).kind, 'gone');
  const e = await errorFrom(new Response('<html>', { status: 429, headers: { 'Retry-After': '7' } }));
  assert.equal(e.kind, 'busy');
  assert.equal(e.retryAfter, 7);
});
