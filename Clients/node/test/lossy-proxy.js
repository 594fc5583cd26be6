import http2 from 'node:http2';
import { readFileSync } from 'node:fs';

/**
 * An HTTP/2 TLS proxy in front of a real server that loses acknowledgements on purpose:
 * for the next `/v1/batch` requests named in `plan` it forwards the request, waits for
 * the server's answer (so the batch is durably stored, API.md § Durability) and then,
 * instead of answering, destroys the client's session (`'destroy'`: the TCP connection
 * drops) or resets the stream (`'reset'`: RST_STREAM). Everything else passes through.
 * It presents the server's own development certificate, so the SDK's CA setting is the same.
 */
export class LossyProxy {
  /**
   * @param {{upstream: string, ca: string, certFile: string, keyFile: string, plan: string[]}} options
   */
  constructor({ upstream, ca, certFile, keyFile, plan }) {
    this.plan = [...plan];
    /** Acknowledgements lost so far. */
    this.lost = 0;
    /** Event ids of every `/v1/batch` forwarded, in order. @type {string[][]} */
    this.forwarded = [];
    this.upstream = http2.connect(upstream, { ca: readFileSync(ca) });
    this.upstream.on('error', () => {});
    this.server = http2.createSecureServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) });
    this.server.on('stream', (stream, headers) => this.onStream(stream, headers));
  }

  /** @returns {Promise<string>} the proxy's origin */
  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve(undefined)));
    const { port } = /** @type {import('node:net').AddressInfo} */ (this.server.address());
    return `https://127.0.0.1:${port}`;
  }

  /** @param {import('node:http2').ServerHttp2Stream} stream @param {import('node:http2').IncomingHttpHeaders} headers */
  onStream(stream, headers) {
    const chunks = [];
    stream.on('error', () => {});
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = String(headers[':path']);
      if (path === '/v1/batch') this.forwarded.push(JSON.parse(body.toString('utf8')).events.map((e) => e.event_id));
      const outgoing = { ':method': headers[':method'], ':path': path };
      for (const name of ['authorization', 'content-type', 'user-agent']) if (headers[name]) outgoing[name] = headers[name];
      const request = this.upstream.request(outgoing);
      const answer = [];
      let status = 502;
      let responseHeaders = {};
      request.on('response', (h) => {
        status = Number(h[':status']);
        responseHeaders = h;
      });
      request.on('data', (c) => answer.push(c));
      request.on('error', () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
      request.on('end', () => {
        const action = path === '/v1/batch' && status === 202 ? this.plan.shift() : undefined;
        if (action === 'destroy') {
          this.lost++;
          stream.session?.destroy();
        } else if (action === 'reset') {
          this.lost++;
          stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
        } else if (!stream.destroyed) {
          const out = { ':status': status };
          if (responseHeaders['content-type']) out['content-type'] = responseHeaders['content-type'];
          if (responseHeaders['retry-after']) out['retry-after'] = responseHeaders['retry-after'];
          stream.respond(out);
          stream.end(Buffer.concat(answer));
        }
      });
      request.end(body);
    });
  }

  /** @returns {Promise<void>} */
  close() {
    this.upstream.destroy();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections?.();
    });
  }
}
