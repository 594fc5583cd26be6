import { TrailmarkError } from './errors.js';
import { RetryPolicy } from './retry.js';
import { Http2Transport } from './transport.js';
import { checkInteger, checkString } from './validate.js';

/**
 * A small read client for the JSON gateway's read endpoints (API.md § Read endpoints),
 * over one long-lived HTTP/2 session. Needs a read (`rk_`) or secret (`sk_`) key. Every
 * method returns the parsed JSON answer; failures throw `TrailmarkError` with the API's
 * error code. Reads are idempotent, so retryable failures (503 while the server replays,
 * 429, connection loss) are retried like the SDK's batches.
 *
 * Parameters are plain objects; camelCase keys become the API's snake_case (`userId` →
 * `user_id`, `groupBy` → `group_by`), `Date` values RFC 3339 text, arrays of `event`
 * repeated parameters and other arrays comma lists.
 */
export class TrailmarkQueryClient {
  /**
   * @param {{host: string, key: string, ca?: string | Buffer, timeoutMs?: number, maxRetries?: number,
   *          rejectUnauthorized?: boolean, _sleep?: (ms: number) => Promise<void>}} options
   */
  constructor(options) {
    if (!options || typeof options !== 'object') throw new TypeError('options must be an object with host and key');
    checkString(options.key, 'key', 1024, true);
    this.timeoutMs = checkInteger(options.timeoutMs ?? 30_000, 'timeoutMs', 1, 2 ** 31 - 1);
    this.policy = new RetryPolicy({ maxRetries: checkInteger(options.maxRetries ?? 3, 'maxRetries', 0, 1000) });
    this.transport = new Http2Transport({ host: options.host, key: options.key, ca: options.ca, rejectUnauthorized: options.rejectUnauthorized ?? true });
    this.sleep = options._sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** `GET /v1/query`: one page `{events, next_cursor}`. `from` and `to` are required. @param {Record<string, unknown>} params */
  query(params) {
    return this.get('/v1/query', params);
  }

  /**
   * Every matching row, following `next_cursor` page by page (each page at most `limit`).
   * @param {Record<string, unknown>} params
   * @returns {AsyncGenerator<Record<string, unknown>>}
   */
  async *events(params) {
    let cursor = params.cursor;
    do {
      const page = /** @type {{events: Record<string, unknown>[], next_cursor: string | null}} */ (await this.query({ ...params, cursor }));
      yield* page.events;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  /** `GET /v1/stats` (`metric` = `count` | `uniques` required). @param {Record<string, unknown>} params */
  stats(params) {
    return this.get('/v1/stats', params);
  }

  /** `GET /v1/sources`: events and uniques per source/medium/campaign. @param {Record<string, unknown>} [params] */
  sources(params = {}) {
    return this.get('/v1/sources', params);
  }

  /**
   * `GET /v1/users/{userId}`: anonymous ids, first touch, pre-login events, time to conversion.
   * @param {string} userId
   * @param {Record<string, unknown>} [params] e.g. `{conversionEvent: 'purchase'}`
   */
  user(userId, params = {}) {
    checkString(userId, 'userId', 256, true);
    return this.get(`/v1/users/${encodeURIComponent(userId)}`, params);
  }

  /**
   * `POST /v1/funnel` with the full SEMANTICS §4/§5 body. Steps may be plain event names;
   * top-level and `experiment` keys may be camelCase; `where` maps are sent as given.
   * @param {Record<string, unknown>} body
   */
  funnel(body) {
    if (!body || typeof body !== 'object') throw new TypeError('funnel takes an object with from, to and steps');
    if (!Array.isArray(body.steps)) throw new TypeError('steps must be an array of event names or {event, where}');
    /** @type {Record<string, unknown>} */
    const out = {};
    for (const [key, value] of Object.entries(body)) {
      if (value === undefined) continue;
      let v = value instanceof Date ? value.toISOString() : value;
      if (key === 'steps') v = body.steps.map((s) => (typeof s === 'string' ? { event: s } : s));
      if (key === 'experiment' && v && typeof v === 'object') v = Object.fromEntries(Object.entries(v).map(([k, x]) => [snake(k), x]));
      out[snake(key)] = v;
    }
    return this.call('POST', '/v1/funnel', JSON.stringify(out));
  }

  /** `GET /v1/health` (no key needed): `{status, events}`. */
  health() {
    return this.get('/v1/health', {});
  }

  /** Closes the session. @returns {Promise<void>} */
  close() {
    return this.transport.close();
  }

  /** @param {string} path @param {Record<string, unknown>} params */
  get(path, params) {
    const query = queryString(params ?? {});
    return this.call('GET', query ? `${path}?${query}` : path, undefined);
  }

  /**
   * One call with retries on retryable failures.
   * @param {string} method @param {string} path @param {string | undefined} body
   * @returns {Promise<any>}
   */
  async call(method, path, body) {
    for (let tries = 0; ; tries++) {
      try {
        const response = await this.transport.request({ method, path, body, timeoutMs: this.timeoutMs });
        if (response.status < 200 || response.status > 299) throw TrailmarkError.fromResponse(response.status, response.headers, response.text);
        try {
          return JSON.parse(response.text);
        } catch {
          throw new TrailmarkError('invalid_response', `${path}: the answer is not JSON`, { status: response.status });
        }
      } catch (thrown) {
        const error = TrailmarkError.wrap(thrown);
        if (!error.retryable || tries >= this.policy.maxRetries) throw error;
        await this.sleep(this.policy.delayMs(tries, error));
      }
    }
  }
}

/** `userId` → `user_id`. @param {string} key */
function snake(key) {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Query-string text of `params` (see the class comment for the conversions).
 * @param {Record<string, unknown>} params
 */
export function queryString(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    const name = snake(key);
    const text = (/** @type {unknown} */ v) => (v instanceof Date ? v.toISOString() : String(v));
    if (Array.isArray(value)) {
      if (name === 'event') for (const v of value) search.append(name, text(v));
      else search.append(name, value.map(text).join(','));
    } else {
      search.append(name, text(value));
    }
  }
  return search.toString();
}
