import http2 from 'node:http2';

/**
 * An in-process HTTP/2 server (h2c, prior knowledge) that plays the JSON gateway for the
 * SDK's unit tests: it records every request, stores event ids once (as the real server
 * does) and follows a script of actions for the next requests:
 *
 * - `{status, headers?, body?}`: answer with it;
 * - `'reset'`: reset the stream (RST_STREAM INTERNAL_ERROR) after reading the request;
 * - `'destroy'`: destroy the whole session (TCP close) after reading the request;
 * - `'store-then-destroy'`: store the batch, then destroy the session (a lost acknowledgement);
 * - `'goaway'`: answer normally, then send GOAWAY;
 * - `'hang'`: never answer;
 * - `'hold'`: answer only when `release()` is called.
 * With no action left it acknowledges like `/v1/batch` (202) or `/v1/identify` (200).
 */
export class FakeServer {
  /** @param {{cert: Buffer, key: Buffer}} [tls] serve TLS (ALPN h2) with this certificate instead of h2c */
  constructor(tls) {
    this.tls = tls;
    /** @type {{method: string, path: string, headers: Record<string, unknown>, body: any}[]} */
    this.requests = [];
    /** @type {unknown[]} */
    this.script = [];
    /** Event ids stored, in order of first arrival. */
    this.stored = new Map();
    this.sessions = 0;
    /** @type {(() => void)[]} */
    this.held = [];
    /** @type {{count: number, resolve: () => void}[]} */
    this.waiters = [];
    this.server = tls ? http2.createSecureServer({ cert: tls.cert, key: tls.key }) : http2.createServer();
    /** @type {Set<import('node:http2').ServerHttp2Session>} */
    this.open = new Set();
    this.server.on('session', (session) => {
      this.sessions++;
      this.open.add(session);
      session.on('close', () => this.open.delete(session));
    });
    this.server.on('stream', (stream, headers) => this.onStream(stream, headers));
  }

  /** Starts on a free loopback port. @param {{cert: Buffer, key: Buffer}} [tls] @returns {Promise<FakeServer>} */
  static async start(tls) {
    const fake = new FakeServer(tls);
    await new Promise((resolve) => fake.server.listen(0, '127.0.0.1', () => resolve(undefined)));
    return fake;
  }

  get origin() {
    const address = /** @type {import('node:net').AddressInfo} */ (this.server.address());
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${address.port}`;
  }

  /** Resolves once `count` requests have arrived. @param {number} count @returns {Promise<void>} */
  waitFor(count) {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /** Answers every held request. */
  release() {
    const held = this.held;
    this.held = [];
    for (const answer of held) answer();
  }

  /** The events of the `/v1/batch` requests, one array per request. */
  get batches() {
    return this.requests.filter((r) => r.path === '/v1/batch').map((r) => r.body.events);
  }

  /** @param {import('node:http2').ServerHttp2Stream} stream @param {import('node:http2').IncomingHttpHeaders} headers */
  onStream(stream, headers) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('error', () => {});
    stream.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const path = String(headers[':path']);
      this.requests.push({ method: String(headers[':method']), path, headers, body });
      const action = this.script.shift();
      this.act(action, stream, path, body);
      this.waiters = this.waiters.filter((w) => (this.requests.length >= w.count ? (w.resolve(), false) : true));
    });
  }

  /** @param {unknown} action @param {import('node:http2').ServerHttp2Stream} stream @param {string} path @param {any} body */
  act(action, stream, path, body) {
    if (action === 'reset') return stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    if (action === 'destroy') return stream.session?.destroy();
    if (action === 'hang') return undefined;
    if (action === 'store-then-destroy') {
      this.ack(path, body);
      return stream.session?.destroy();
    }
    if (action === 'hold') {
      this.held.push(() => this.respond(stream, 202, {}, this.ack(path, body)));
      return undefined;
    }
    if (action && typeof action === 'object') {
      const a = /** @type {{status: number, headers?: Record<string, string>, body?: unknown}} */ (action);
      return this.respond(stream, a.status, a.headers ?? {}, a.body ?? {});
    }
    this.respond(stream, path === '/v1/identify' ? 200 : 202, {}, this.ack(path, body));
    if (action === 'goaway') stream.session?.goaway();
    return undefined;
  }

  /** Stores a batch's event ids once and returns the gateway's acknowledgement. @param {string} path @param {any} body */
  ack(path, body) {
    if (path !== '/v1/batch') return { ok: true };
    let duplicates = 0;
    for (const event of body.events) {
      if (this.stored.has(event.event_id)) duplicates++;
      else this.stored.set(event.event_id, event);
    }
    return { ok: true, accepted: body.events.length - duplicates, duplicates, event_ids: body.events.map((e) => e.event_id) };
  }

  /** @param {import('node:http2').ServerHttp2Stream} stream @param {number} status @param {Record<string, string>} headers @param {unknown} body */
  respond(stream, status, headers, body) {
    if (stream.destroyed || stream.closed) return;
    stream.respond({ ':status': status, 'content-type': 'application/json', ...headers });
    stream.end(JSON.stringify(body));
  }

  /** Stops the server and every session. @returns {Promise<void>} */
  close() {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.held = [];
      for (const session of this.open) session.destroy();
    });
  }
}
