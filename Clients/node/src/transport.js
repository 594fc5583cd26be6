import http2 from 'node:http2';
import { readFileSync } from 'node:fs';
import { TrailmarkError } from './errors.js';

/** Largest response body read (a 10,000-row `/v1/query` page is a few MB). */
const RESPONSE_BYTES_MAX = 64 * 1024 * 1024;

/**
 * @typedef {object} TransportResponse
 * @property {number} status
 * @property {Record<string, string | string[] | undefined>} headers
 * @property {string} text the body as UTF-8 text
 */

/**
 * Parses `https://host:port` (TLS, the default), `http://host:port` (h2c with prior
 * knowledge, for `--plaintext` servers) or a bare `host:port` (TLS) into an origin.
 * @param {unknown} host
 * @returns {string}
 */
export function parseOrigin(host) {
  if (typeof host !== 'string' || host.trim() === '') throw new TypeError('host must be a string such as https://analytics.example:8443');
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(host) ? host : `https://${host}`;
  let url;
  try {
    url = new URL(text);
  } catch {
    throw new RangeError(`host must look like https://host:port, got ${JSON.stringify(host)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RangeError(`host must use https:// or http://, got ${url.protocol}`);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username) {
    throw new RangeError(`host must be only scheme, host and port, got ${JSON.stringify(host)}`);
  }
  return url.origin;
}

/**
 * One long-lived HTTP/2 session to a Trailmark server (node:http2), opened on first use and
 * reopened on the next request after it closed, failed or received GOAWAY. Every request
 * carries `authorization: Bearer <key>`.
 *
 * Process lifetime: the session's socket is `unref()`ed whenever no request is in flight,
 * so an idle SDK never keeps the process alive; an in-flight request (bounded by its
 * timeout) does.
 */
export class Http2Transport {
  /**
   * @param {{host: string, key?: string, ca?: string | Buffer | Array<string | Buffer>, userAgent?: string,
   *          rejectUnauthorized?: boolean}} options `ca`: PEM text, a Buffer, or a path to a PEM file
   */
  constructor({ host, key, ca, userAgent = 'trailmark-node/0.1', rejectUnauthorized = true }) {
    this.origin = parseOrigin(host);
    this.key = key;
    this.userAgent = userAgent;
    /** @type {import('node:http2').SecureClientSessionOptions} */
    this.connectOptions = { rejectUnauthorized };
    if (ca !== undefined && ca !== null) this.connectOptions.ca = loadCA(ca);
    /** @type {import('node:http2').ClientHttp2Session | null} */
    this.session = null;
    /** Requests in flight on `session`. */
    this.active = 0;
    /** Sessions opened so far (1 + reconnects). */
    this.connects = 0;
    this.closed = false;
  }

  /** The open session, or a new one. @returns {import('node:http2').ClientHttp2Session} */
  currentSession() {
    const existing = this.session;
    if (existing && !existing.closed && !existing.destroyed) return existing;
    const session = http2.connect(this.origin, this.connectOptions);
    this.connects++;
    const forget = () => {
      if (this.session === session) this.session = null;
    };
    // Errors reach the streams (each request fails and is retried); the session is dropped.
    session.on('error', forget);
    session.on('goaway', forget);
    session.on('close', forget);
    session.unref();
    this.session = session;
    return session;
  }

  /**
   * One request; resolves with any status (the caller judges it), rejects with a
   * `TrailmarkError` (`connection_error` or `timeout`) when no complete answer arrived.
   * @param {{method: string, path: string, body?: string, timeoutMs: number, headers?: Record<string, string>}} request
   * @returns {Promise<TransportResponse>}
   */
  request({ method, path, body, timeoutMs, headers = {} }) {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new TrailmarkError('closed', 'the client is shut down'));
        return;
      }
      /** @type {import('node:http2').OutgoingHttpHeaders} */
      const outgoing = { ':method': method, ':path': path, 'user-agent': this.userAgent, ...headers };
      if (this.key) outgoing.authorization = `Bearer ${this.key}`;
      if (body !== undefined) outgoing['content-type'] = 'application/json';
      let session;
      let stream;
      try {
        session = this.currentSession();
        stream = session.request(outgoing, { endStream: body === undefined });
      } catch (error) {
        if (session) this.drop(session);
        reject(TrailmarkError.wrap(error));
        return;
      }
      this.active++;
      session.ref();
      let settled = false;
      /** @type {Record<string, string | string[] | undefined>} */
      let responseHeaders = {};
      let status = 0;
      /** @type {Buffer[]} */
      const chunks = [];
      let received = 0;
      /** @param {TrailmarkError | null} error @param {TransportResponse} [value] */
      const finish = (error, value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.active--;
        if (this.active === 0 && !session.destroyed) session.unref();
        if (error) reject(error);
        else resolve(/** @type {TransportResponse} */ (value));
      };
      const timer = setTimeout(() => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        finish(new TrailmarkError('timeout', `no answer to ${method} ${path} within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref(); // the session is ref'd while this request is in flight
      stream.on('response', (h) => {
        status = Number(h[':status']);
        responseHeaders = /** @type {Record<string, string | string[] | undefined>} */ (h);
      });
      stream.on('data', (chunk) => {
        received += chunk.length;
        if (received > RESPONSE_BYTES_MAX) {
          stream.close(http2.constants.NGHTTP2_CANCEL);
          finish(new TrailmarkError('invalid_response', `response to ${path} exceeds ${RESPONSE_BYTES_MAX} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      stream.on('end', () => {
        if (status === 0) finish(new TrailmarkError('connection_error', `${method} ${path}: stream ended without a response`));
        else finish(null, { status, headers: responseHeaders, text: Buffer.concat(chunks).toString('utf8') });
      });
      stream.on('error', (error) => finish(TrailmarkError.wrap(error)));
      stream.on('close', () => {
        finish(new TrailmarkError('connection_error', `${method} ${path}: stream closed before the answer (HTTP/2 code ${stream.rstCode})`));
      });
      if (body !== undefined) stream.end(body);
    });
  }

  /** Forgets `session` and destroys it (its streams fail). @param {import('node:http2').ClientHttp2Session} session */
  drop(session) {
    if (this.session === session) this.session = null;
    if (!session.destroyed) session.destroy();
  }

  /** Closes the session gracefully (in-flight requests finish); later requests fail. @returns {Promise<void>} */
  close() {
    this.closed = true;
    const session = this.session;
    this.session = null;
    if (!session || session.closed || session.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => session.destroy(), 5000);
      timer.unref();
      session.close(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/**
 * `ca` as PEM text or a Buffer, read from a file when it is a path.
 * @param {string | Buffer | Array<string | Buffer>} ca
 * @returns {string | Buffer | Array<string | Buffer>}
 */
function loadCA(ca) {
  if (Array.isArray(ca)) return ca.map((one) => /** @type {string | Buffer} */ (loadCA(one)));
  if (Buffer.isBuffer(ca)) return ca;
  if (typeof ca !== 'string') throw new TypeError('ca must be PEM text, a Buffer or the path of a PEM file');
  if (ca.includes('-----BEGIN')) return ca;
  try {
    return readFileSync(ca);
  } catch (error) {
    throw new RangeError(`ca: cannot read ${ca}: ${/** @type {Error} */ (error).message}`);
  }
}
