import { TrailmarkError } from './errors.js';

/**
 * @typedef {import('./queue.js').QueuedItem} QueuedItem
 * @typedef {{seq: number, json: string, userId: string}} QueuedIdentify
 * @typedef {{eventIds: string[], identifies: number, dropped: boolean}} FailureInfo
 * @typedef {{sent: number, batches: number, duplicates: number, rejected: number, retries: number, identifies: number}} SenderStats
 */

/**
 * Delivers batches and identify calls over a transport with the retry policy, and decides
 * what happens to data the server did not take:
 *
 * - retryable (connection loss, timeout, 429 with `Retry-After`, 503, other 5xx): retried
 *   with the same event ids (backoff with full jitter, or exactly the server's hint); once
 *   `maxRetries` is spent the data goes back to the queue for the next flush and
 *   `onError` hears of it (`dropped: false`);
 * - refused (400, 401, 403, 413, …): never retried; dropped and reported (`dropped: true`),
 *   except that a 400 naming `events[i]` drops only event `i` and resends the rest of the
 *   batch at once, and a 413 splits the batch in halves (the server rejects a batch whole,
 *   SEMANTICS §1, so one bad event must not cost its 999 neighbours).
 */
export class BatchSender {
  /**
   * @param {{transport: import('./transport.js').Http2Transport, policy: import('./retry.js').RetryPolicy,
   *          timeoutMs: number, onError: (error: TrailmarkError, info: FailureInfo) => void,
   *          keepAlive: () => boolean, sleep?: (ms: number) => Promise<void>, random?: () => number}} options
   */
  constructor({ transport, policy, timeoutMs, onError, keepAlive, sleep, random }) {
    this.transport = transport;
    this.policy = policy;
    this.timeoutMs = timeoutMs;
    this.onError = onError;
    this.keepAlive = keepAlive;
    this.random = random ?? Math.random;
    this.sleep = sleep ?? ((ms) => this.defaultSleep(ms));
    /** @type {NodeJS.Timeout | null} the backoff timer now running, if any */
    this.sleepTimer = null;
    /** @type {SenderStats} */
    this.stats = { sent: 0, batches: 0, duplicates: 0, rejected: 0, retries: 0, identifies: 0 };
  }

  /**
   * Sends `batch` (splitting it only as described above). Returns the last failure and the
   * events to put back in the queue (non-empty only when retries ran out).
   * @param {QueuedItem[]} batch
   * @returns {Promise<{error: TrailmarkError | null, kept: QueuedItem[]}>}
   */
  async sendEvents(batch) {
    const work = [batch];
    /** @type {TrailmarkError | null} */
    let failure = null;
    while (work.length > 0) {
      const part = /** @type {QueuedItem[]} */ (work.shift());
      const error = await this.deliver(() => this.postBatch(part));
      if (!error) continue;
      if (error.retryable) {
        const kept = part.concat(...work);
        this.report(error, { eventIds: kept.map((i) => i.id), identifies: 0, dropped: false });
        return { error, kept };
      }
      const bad = badEventIndex(error, part.length);
      if (error.status === 413 && part.length > 1) {
        // Nothing is lost yet: the halves go out on their own.
        const middle = Math.ceil(part.length / 2);
        work.unshift(part.slice(0, middle), part.slice(middle));
      } else if (bad !== undefined && part.length > 1) {
        failure = error;
        this.reject(error, [part[bad]]);
        work.unshift(part.filter((_, i) => i !== bad));
      } else {
        failure = error;
        this.reject(error, part);
      }
    }
    return { error: failure, kept: [] };
  }

  /**
   * Sends one identify call. `keep` is true when retries ran out (put it back).
   * @param {QueuedIdentify} item
   * @returns {Promise<{error: TrailmarkError | null, keep: boolean}>}
   */
  async sendIdentify(item) {
    const error = await this.deliver(async () => {
      const response = await this.transport.request({ method: 'POST', path: '/v1/identify', body: item.json, timeoutMs: this.timeoutMs });
      if (response.status < 200 || response.status > 299) throw TrailmarkError.fromResponse(response.status, response.headers, response.text);
      this.stats.identifies++;
    });
    if (!error) return { error: null, keep: false };
    this.report(error, { eventIds: [], identifies: 1, dropped: !error.retryable });
    return { error, keep: error.retryable };
  }

  /**
   * Runs `attempt` until it succeeds (null), fails for good, or fails retryably
   * `policy.maxRetries + 1` times (that error).
   * @param {() => Promise<void>} attempt
   * @returns {Promise<TrailmarkError | null>}
   */
  async deliver(attempt) {
    for (let tries = 0; ; tries++) {
      try {
        await attempt();
        return null;
      } catch (thrown) {
        const error = TrailmarkError.wrap(thrown);
        if (!error.retryable || tries >= this.policy.maxRetries) return error;
        this.stats.retries++;
        await this.sleep(this.policy.delayMs(tries, error, this.random));
      }
    }
  }

  /** POSTs one `/v1/batch` (`sent_at` = now, µs) and counts the acknowledgement. @param {QueuedItem[]} part */
  async postBatch(part) {
    let body = `{"sent_at":${Date.now() * 1000},"events":[`;
    for (let i = 0; i < part.length; i++) body += (i === 0 ? '' : ',') + part[i].json;
    body += ']}';
    const response = await this.transport.request({ method: 'POST', path: '/v1/batch', body, timeoutMs: this.timeoutMs });
    if (response.status < 200 || response.status > 299) throw TrailmarkError.fromResponse(response.status, response.headers, response.text);
    // A 2xx means durable (API.md § Durability); the counts are informational.
    let ack = {};
    try {
      ack = JSON.parse(response.text);
    } catch {
      ack = {};
    }
    this.stats.sent += part.length;
    this.stats.batches++;
    if (ack && Number.isInteger(ack.duplicates)) this.stats.duplicates += ack.duplicates;
  }

  /** Counts and reports events dropped for good. @param {TrailmarkError} error @param {QueuedItem[]} items */
  reject(error, items) {
    this.stats.rejected += items.length;
    this.report(error, { eventIds: items.map((i) => i.id), identifies: 0, dropped: true });
  }

  /** Calls `onError`; a throwing callback never breaks delivery. @param {TrailmarkError} error @param {FailureInfo} info */
  report(error, info) {
    try {
      this.onError(error, info);
    } catch {
      // The user's callback failed; delivery goes on.
    }
  }

  /**
   * A backoff wait. The timer keeps the process alive only while someone awaits
   * `flush()`/`shutdown()`; a background retry never does.
   * @param {number} ms
   * @returns {Promise<void>}
   */
  defaultSleep(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.sleepTimer === timer) this.sleepTimer = null;
        resolve();
      }, ms);
      if (!this.keepAlive()) timer.unref();
      this.sleepTimer = timer;
    });
  }

  /** Makes a running backoff wait keep the process alive (a flush now waits on it). */
  refSleep() {
    this.sleepTimer?.ref();
  }
}

/**
 * The index `i` of a 400 naming `events[i]...` within a batch of `count`, else undefined.
 * @param {TrailmarkError} error
 * @param {number} count
 */
export function badEventIndex(error, count) {
  if (error.status !== 400) return undefined;
  const match = /^events\[(\d+)\]/.exec(error.field ?? '');
  if (!match) return undefined;
  const index = Number(match[1]);
  return index < count ? index : undefined;
}
