/**
 * The one error type of the SDK and the read client: a stable `code` (the JSON
 * gateway's error code, shared/API.md § Errors, or one of the SDK's own codes below),
 * a human `message`, and what the server said about it.
 *
 * SDK codes: `connection_error` (connect, TLS, reset stream, lost session, GOAWAY),
 * `timeout` (no answer within `timeoutMs`), `invalid_response` (a body that is not
 * the JSON the API promises), `http_<status>` (a non-2xx answer without a JSON body),
 * `closed` (a request after `shutdown()`/`close()`; not retryable).
 */
export class TrailmarkError extends Error {
  /**
   * @param {string} code stable machine-readable code
   * @param {string} message human text
   * @param {{status?: number, details?: object, retryAfterMs?: number, cause?: unknown}} [info]
   */
  constructor(code, message, info = {}) {
    super(message, info.cause === undefined ? undefined : { cause: info.cause });
    this.name = 'TrailmarkError';
    /** @type {string} */
    this.code = code;
    /** HTTP status of the answer; 0 when there was none (connection error, timeout). */
    this.status = info.status ?? 0;
    /** The server's `details` (for invalid input: `field`, a JSON path, and `reason`). @type {Record<string, unknown>} */
    this.details = info.details ?? {};
    /** The server's `Retry-After` in milliseconds, when it sent one. @type {number | undefined} */
    this.retryAfterMs = info.retryAfterMs;
  }

  /**
   * True when the same request may be sent again (with the same event ids):
   * connection loss, timeouts, 429 and every 5xx. Never 4xx input, auth or size errors.
   */
  get retryable() {
    if (this.code === 'connection_error' || this.code === 'timeout') return true;
    return this.status === 429 || this.status >= 500;
  }

  /** The `field` the server named (`events[3].timestamp`), if any. @returns {string | undefined} */
  get field() {
    return typeof this.details.field === 'string' ? this.details.field : undefined;
  }

  /**
   * Builds the error for a non-2xx answer from its status, headers and body text.
   * @param {number} status
   * @param {Record<string, string | string[] | undefined>} headers
   * @param {string} text
   */
  static fromResponse(status, headers, text) {
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const code = body && typeof body.error === 'string' ? body.error : `http_${status}`;
    const message = body && typeof body.message === 'string' ? body.message : `HTTP ${status}: ${text.slice(0, 200)}`;
    const details = body && body.details && typeof body.details === 'object' ? body.details : {};
    return new TrailmarkError(code, message, { status, details, retryAfterMs: parseRetryAfter(headers['retry-after']) });
  }

  /**
   * Wraps whatever a transport call threw; a `TrailmarkError` passes through, anything
   * else (socket, TLS, HTTP/2 stream errors) becomes a retryable `connection_error`.
   * @param {unknown} error
   * @returns {TrailmarkError}
   */
  static wrap(error) {
    if (error instanceof TrailmarkError) return error;
    const text = error instanceof Error ? `${error.message}${'code' in error ? ` (${error.code})` : ''}` : String(error);
    return new TrailmarkError('connection_error', text, { cause: error });
  }
}

/**
 * `Retry-After` as milliseconds: delta-seconds (RFC 9110 § 10.2.3) or an HTTP date.
 * @param {string | string[] | undefined} value
 * @returns {number | undefined}
 */
export function parseRetryAfter(value) {
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string' || text.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
