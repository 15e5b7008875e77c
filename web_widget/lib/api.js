/**
 * The tryon HTTP API as the widget uses it.
 *
 * GETs carry the publishable key as `?key=` (a plain GET with no custom
 * header needs no CORS preflight, and the same URL can go into an <img>).
 * POSTs send it as `Authorization: Bearer`.
 *
 * Slow answers: /v1/render, /v1/scene.glb and /v1/fit may answer 202 with
 * `Location: /v1/jobs/{id}` and `Retry-After`. `Client.ready` polls that
 * job until it is done and then asks the original URL again, which is
 * then answered from the server's cache with a 200.
 */

/** An error the widget can explain; `kind` picks the message (see errors.js). */
export class TryonError extends Error {
  /**
   * @param {string} kind offline | refused | unauthorized | forbidden | not-found | gone |
   *   invalid | busy | failed | timeout | server
   * @param {string} message for developers (the console); shoppers read errors.js
   * @param {{status?: number, detail?: string, field?: string, retryAfter?: number}} [info]
   */
  constructor(kind, message, info = {}) {
    super(message);
    this.name = 'TryonError';
    this.kind = kind;
    Object.assign(this, info);
  }
}

const MIN_WAIT_S = 0.25;
const MAX_WAIT_S = 10;

/**
 * Seconds to wait from a Retry-After header (delta seconds or an HTTP
 * date), clamped to [0.25, 10]; `fallback` when absent or unreadable.
 * @param {string|null|undefined} value
 * @param {number} [fallback]
 * @param {number} [now] ms since the epoch
 * @returns {number}
 */
export function retryAfterSeconds(value, fallback = 1, now = Date.now()) {
  let seconds = fallback;
  if (value != null && String(value).trim() !== '') {
    const text = String(value).trim();
    if (/^\d+(\.\d+)?$/.test(text)) seconds = Number(text);
    else if (!Number.isNaN(Date.parse(text))) seconds = (Date.parse(text) - now) / 1000;
  }
  return Math.min(MAX_WAIT_S, Math.max(MIN_WAIT_S, seconds));
}

/**
 * `base` + `path` with `params` as a query string; null, undefined and ''
 * values are left out, the rest keep their order.
 * @param {string} base absolute origin or URL the API lives under
 * @param {string} path e.g. '/v1/render'
 * @param {Record<string, unknown>} [params]
 * @returns {string}
 */
export function apiUrl(base, path, params = {}) {
  const url = new URL(path, base);
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') url.searchParams.set(name, String(value));
  }
  return url.href;
}

/**
 * The status and problem document of a failed response as a TryonError.
 * @param {Response} response
 * @returns {Promise<TryonError>}
 */
export async function errorFrom(response) {
  let problem = {};
  try {
    problem = await response.json();
  } catch {
    // not JSON (a proxy's HTML page, say): the status says enough
  }
  const { status } = response;
  // a readable 403 is either this site refused (field Origin) or one thing the key may not show (a twin)
  const kind = status === 401 ? 'unauthorized'
    : status === 403 ? (problem.field === 'Origin' ? 'refused' : 'forbidden')
    : status === 404 ? 'not-found'
    : status === 410 ? 'gone'
    : status === 422 || status === 400 ? 'invalid'
    : status === 429 ? 'busy'
    : 'server';
  const detail = typeof problem.detail === 'string' ? problem.detail : '';
  return new TryonError(kind, `${status} ${problem.title || response.statusText}: ${detail}`, {
    status, detail, field: problem.field,
    retryAfter: retryAfterSeconds(response.headers.get('Retry-After'), 5),
  });
}

const sleepFor = (seconds, signal) => new Promise((resolve, reject) => {
  if (signal?.aborted) { reject(signal.reason); return; }
  const timer = setTimeout(resolve, seconds * 1000);
  signal?.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
});

/** Talks to one tryon server with one publishable key. */
export class Client {
  /**
   * @param {object} options
   * @param {string} options.base the server's origin, e.g. https://tryon.example.com
   * @param {string} options.key a publishable key
   * @param {typeof fetch} [options.fetch]
   * @param {(seconds: number, signal?: AbortSignal) => Promise<void>} [options.sleep]
   * @param {number} [options.timeoutS] give up on a job after this long
   */
  constructor({ base, key, fetch: fetchImpl, sleep = sleepFor, timeoutS = 180 }) {
    this.base = base;
    this.key = key;
    this.fetch = fetchImpl ?? globalThis.fetch.bind(globalThis);
    this.sleep = sleep;
    this.timeoutS = timeoutS;
  }

  /**
   * An absolute GET URL carrying the key.
   * @param {string} path
   * @param {Record<string, unknown>} [params]
   * @returns {string}
   */
  url(path, params = {}) {
    return apiUrl(this.base, path, { ...params, key: this.key });
  }

  /**
   * fetch(), with network failures turned into TryonErrors. A failure
   * whose server still answers a no-cors probe is a CORS refusal: the
   * key does not allow this site (or is wrong), since the API grants CORS
   * only to a key's own origins.
   * @param {string} url
   * @param {RequestInit} [init]
   * @returns {Promise<Response>}
   */
  async send(url, init = {}) {
    try {
      return await this.fetch(url, init);
    } catch (error) {
      if (error?.name === 'AbortError' || init.signal?.aborted) throw error;
      let reachable = false;
      try {
        await this.fetch(apiUrl(this.base, '/healthz'), { mode: 'no-cors', cache: 'no-store' });
        reachable = true;
      } catch {
        reachable = false;
      }
      throw reachable
        ? new TryonError('refused', `the server refused this site: ${error}`)
        : new TryonError('offline', `the server cannot be reached: ${error}`);
    }
  }

  /**
   * GET `url` until it answers 200, following 202 job answers. Resolves to
   * the 200 response (its body unread); rejects with a TryonError.
   * `onPending` gets each 202's JSON body (what is known so far: /v1/fit
   * sends the size chart's recommendation while drapes run).
   * @param {string} url from `this.url(...)`
   * @param {{signal?: AbortSignal, onWait?: (job: object|null) => void,
   *   onPending?: (body: object) => void}} [options]
   * @returns {Promise<Response>}
   */
  async ready(url, { signal, onWait, onPending } = {}) {
    const deadline = Date.now() + this.timeoutS * 1000;
    for (;;) {
      const response = await this.send(url, { signal });
      if (response.status === 200) return response;
      if (response.status !== 202) throw await errorFrom(response);
      if (onPending) onPending(await response.json().catch(() => ({})));
      const location = response.headers.get('Location');
      let wait = retryAfterSeconds(response.headers.get('Retry-After'));
      if (!location) {
        // no job to follow: ask again after the wait
        onWait?.(null);
        await this.sleep(wait, signal);
      } else {
        await this.waitForJob(new URL(location, url).pathname, wait, deadline, { signal, onWait });
      }
      if (Date.now() > deadline) throw new TryonError('timeout', `gave up on ${url}`);
    }
  }

  /**
   * Poll a job until it is done; rejects if it failed or the deadline passes.
   * @param {string} path /v1/jobs/{id}
   * @param {number} wait seconds before the first poll
   * @param {number} deadline ms since the epoch
   * @param {{signal?: AbortSignal, onWait?: (job: object|null) => void}} options
   * @returns {Promise<object>} the done job
   */
  async waitForJob(path, wait, deadline, { signal, onWait }) {
    for (;;) {
      if (Date.now() + wait * 1000 > deadline) throw new TryonError('timeout', `job ${path} is still running`);
      await this.sleep(wait, signal);
      const response = await this.send(this.url(path), { signal });
      if (!response.ok) throw await errorFrom(response);
      const job = await response.json();
      if (job.status === 'done') return job;
      if (job.status === 'failed') throw new TryonError('failed', `job failed: ${job.error}`, { detail: job.error });
      onWait?.(job);
      wait = retryAfterSeconds(response.headers.get('Retry-After'));
    }
  }

  /**
   * GET JSON (following 202 jobs).
   * @param {string} path
   * @param {Record<string, unknown>} [params]
   * @param {{signal?: AbortSignal, onWait?: (job: object|null) => void,
   *   onPending?: (body: object) => void}} [options]
   * @returns {Promise<any>}
   */
  async getJSON(path, params = {}, options = {}) {
    const response = await this.ready(this.url(path, params), options);
    return response.json();
  }

  /**
   * POST JSON with the key in the Authorization header.
   * @param {string} path
   * @param {object} body
   * @param {{signal?: AbortSignal}} [options]
   * @returns {Promise<any>}
   */
  async postJSON(path, body, { signal } = {}) {
    const response = await this.send(apiUrl(this.base, path), {
      method: 'POST', signal, body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${this.key}` },
    });
    if (!response.ok) throw await errorFrom(response);
    return response.json();
  }
}
