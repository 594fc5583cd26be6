import { randomUUID } from 'node:crypto';
import { BatchSender } from './batch-sender.js';
import { TrailmarkError } from './errors.js';
import { EventQueue } from './queue.js';
import { RetryPolicy } from './retry.js';
import { Http2Transport } from './transport.js';
import { uuidv7 } from './uuidv7.js';
import { MemoryAnonymousIdStore } from './anonymous-id-store.js';
import { LIMITS, checkInteger, checkProperties, checkString, checkTime } from './validate.js';

/** The server takes at most 1,000 events per `/v1/batch` (API.md). */
const BATCH_EVENTS_LIMIT = 1000;
/** The server takes at most 5 MiB per `/v1/batch`; stay below it. */
const BATCH_BYTES_LIMIT = 5 * 1024 * 1024 - 1024;

/**
 * The Trailmark SDK. `track` and `identify` check their input, queue the event in memory
 * and return at once; batches go to the server's JSON gateway (`POST /v1/batch`) over one
 * long-lived HTTP/2 session when `flushAt` events are queued, every `flushInterval` ms, on
 * `flush()` and on `shutdown()`. One batch is in flight at a time, in order.
 *
 * Reliability: every event gets a UUIDv7 `event_id` when tracked, so a batch retried after
 * a lost acknowledgement is stored once (the server acknowledges the copies as duplicates).
 * Memory is bounded: at most `maxQueueSize` queued events (the oldest dropped and counted in
 * `droppedEvents`) plus one batch in flight. Timers are `unref()`ed: the SDK never keeps the
 * process alive by itself; `await client.shutdown()` before exiting to deliver the rest.
 */
export class Trailmark {
  /**
   * @param {import('../index.js').TrailmarkOptions} options
   */
  constructor(options) {
    if (!options || typeof options !== 'object') throw new TypeError('options must be an object with host and key');
    const { host, key, ca, onError } = options;
    checkString(key, 'key', 1024, true);
    this.flushAt = checkInteger(options.flushAt ?? 100, 'flushAt', 1, BATCH_EVENTS_LIMIT);
    this.flushInterval = checkInteger(options.flushInterval ?? 5000, 'flushInterval', 1, 2 ** 31 - 1);
    this.maxQueueSize = checkInteger(options.maxQueueSize ?? 10_000, 'maxQueueSize', 1, 10_000_000);
    this.maxBatchEvents = checkInteger(options.maxBatchEvents ?? BATCH_EVENTS_LIMIT, 'maxBatchEvents', 1, BATCH_EVENTS_LIMIT);
    this.maxBatchBytes = checkInteger(options.maxBatchBytes ?? 4 * 1024 * 1024, 'maxBatchBytes', 1024, BATCH_BYTES_LIMIT);
    const maxRetries = options.maxRetries ?? 8;
    if (maxRetries !== Infinity) checkInteger(maxRetries, 'maxRetries', 0, 1_000_000);
    this.timeoutMs = checkInteger(options.timeoutMs ?? 15_000, 'timeoutMs', 1, 2 ** 31 - 1);
    if (onError !== undefined && typeof onError !== 'function') throw new TypeError('onError must be a function');
    const store = options.anonymousIdStore ?? new MemoryAnonymousIdStore();
    if (typeof store.load !== 'function' || typeof store.save !== 'function') throw new TypeError('anonymousIdStore must have load() and save(id)');

    this.transport = new Http2Transport({ host, key, ca, rejectUnauthorized: options.rejectUnauthorized ?? true });
    this.queue = new EventQueue(this.maxQueueSize);
    /** @type {import('./batch-sender.js').QueuedIdentify[]} */
    this.identifies = [];
    this.identifiesDropped = 0;
    this.sender = new BatchSender({
      transport: this.transport,
      policy: new RetryPolicy({ baseMs: options.retryBaseMs ?? 100, capMs: options.retryCapMs ?? 10_000, maxRetries }),
      timeoutMs: this.timeoutMs,
      onError: onError ?? defaultOnError,
      keepAlive: () => this.waiters > 0,
      sleep: options._sleep,
      random: options._random,
    });
    this.store = store;
    /** @type {string} */
    this.anonymousIdValue = this.loadAnonymousId();
    /** Sequence number of the last call queued (events and identifies share it). */
    this.seq = 0;
    /** Events of the batch in flight. */
    this.inFlight = 0;
    /** Callers awaiting `flush()`/`shutdown()`: while > 0 backoff timers keep the process alive. */
    this.waiters = 0;
    /** @type {Promise<TrailmarkError | null> | null} the one drain running, if any */
    this.running = null;
    this.closed = false;
    /** @type {Promise<void> | null} */
    this.shutdownPromise = null;
    this.timer = setInterval(() => this.tick(), this.flushInterval);
    this.timer.unref();
  }

  /** This process's anonymous id (made once with `crypto.randomUUID`, kept by `anonymousIdStore`). */
  get anonymousId() {
    return this.anonymousIdValue;
  }

  /** Events (and identify calls) dropped because the queue was full, oldest first. */
  get droppedEvents() {
    return this.queue.dropped + this.identifiesDropped;
  }

  /** Counters: queued (including the batch in flight), sent, batches, duplicates, dropped, rejected, retries, identifies. */
  get stats() {
    return {
      queued: this.queue.length + this.inFlight + this.identifies.length,
      dropped: this.droppedEvents,
      ...this.sender.stats,
    };
  }

  /**
   * Queues one event and returns its `event_id` (a UUIDv7 unless `eventId` is given).
   * Without `userId` and `anonymousId` the event carries this process's anonymous id.
   * `timestamp` (a Date, ms since the epoch or RFC 3339 text) defaults to now. Throws a
   * TypeError / RangeError naming the field on bad input; after `shutdown()` the event is
   * ignored.
   * @param {import('../index.js').TrackInput} input
   * @returns {string}
   */
  track(input) {
    if (!input || typeof input !== 'object') throw new TypeError('track takes an object such as {event: "signup"}');
    const event = /** @type {string} */ (checkString(input.event, 'event', LIMITS.eventBytesMax, true));
    const userId = checkString(input.userId, 'userId', LIMITS.userIdBytesMax);
    if (userId === '') throw new RangeError('userId must not be empty (omit it instead)');
    let anonymousId = checkString(input.anonymousId, 'anonymousId', LIMITS.anonymousIdBytesMax);
    if (!anonymousId && !userId) anonymousId = this.anonymousIdValue;
    const eventId = checkString(input.eventId, 'eventId', LIMITS.eventIdBytesMax) || uuidv7();
    const properties = checkProperties(input.properties, 'properties');
    const fields = JSON.stringify({
      event,
      event_id: eventId,
      anonymous_id: anonymousId || undefined,
      user_id: userId,
      timestamp: checkTime(input.timestamp, 'timestamp') ?? Date.now() * 1000,
      session_id: checkString(input.sessionId, 'sessionId', LIMITS.sessionIdBytesMax) || undefined,
      url: checkString(input.url, 'url', LIMITS.urlBytesMax) || undefined,
      path: checkString(input.path, 'path', LIMITS.urlBytesMax) || undefined,
      referrer: checkString(input.referrer, 'referrer', LIMITS.urlBytesMax) || undefined,
    });
    const json = properties === undefined ? fields : `${fields.slice(0, -1)},"properties":${properties}}`;
    if (this.closed) return eventId;
    this.queue.push({ seq: ++this.seq, id: eventId, json, bytes: Buffer.byteLength(json, 'utf8') });
    if (this.queue.length >= this.flushAt && !this.running) void this.startDrain({ all: false });
    return eventId;
  }

  /**
   * Queues an identify call linking `anonymousId` (default: this process's) to `userId`
   * (SEMANTICS §1, §3). Sent before the next batch. Ignored after `shutdown()`.
   * @param {import('../index.js').IdentifyInput} input
   */
  identify(input) {
    if (!input || typeof input !== 'object') throw new TypeError('identify takes an object such as {userId: "u1"}');
    const userId = /** @type {string} */ (checkString(input.userId, 'userId', LIMITS.userIdBytesMax, true));
    const anonymousId = checkString(input.anonymousId, 'anonymousId', LIMITS.anonymousIdBytesMax) || this.anonymousIdValue;
    const traits = checkProperties(input.traits, 'traits');
    const fields = JSON.stringify({
      anonymous_id: anonymousId,
      user_id: userId,
      timestamp: checkTime(input.timestamp, 'timestamp') ?? Date.now() * 1000,
    });
    const json = traits === undefined ? fields : `${fields.slice(0, -1)},"traits":${traits}}`;
    if (this.closed) return;
    if (this.identifies.length >= this.maxQueueSize) {
      this.identifies.shift();
      this.identifiesDropped++;
    }
    this.identifies.push({ seq: ++this.seq, json, userId });
    if (!this.running && this.identifies.length + this.queue.length >= this.flushAt) void this.startDrain({ all: false });
  }

  /** Starts a new anonymous id (log-out) and saves it in the store. @returns {string} the new id */
  reset() {
    this.anonymousIdValue = randomUUID();
    this.store.save(this.anonymousIdValue);
    return this.anonymousIdValue;
  }

  /**
   * Sends everything queued before the call and waits for it: resolves when every such
   * event is acknowledged; rejects with the last `TrailmarkError` when some were refused
   * (dropped, reported to `onError`) or could not be delivered within `maxRetries` (kept
   * queued for the next flush). Events tracked meanwhile may ride along but are not waited for.
   * @returns {Promise<void>}
   */
  async flush() {
    const target = this.seq;
    this.waiters++;
    this.sender.refSleep();
    try {
      for (;;) {
        if (this.running) await this.running;
        if (!this.pendingUpTo(target)) return;
        const failure = await this.startDrain({ upTo: target });
        if (failure) throw failure;
      }
    } finally {
      this.waiters--;
    }
  }

  /**
   * Stops the timer, flushes what is queued (with retries; failures go to `onError`), then
   * closes the HTTP/2 session. Later `track`/`identify` calls are ignored. Idempotent.
   * @returns {Promise<void>}
   */
  shutdown() {
    if (!this.shutdownPromise) {
      this.closed = true;
      clearInterval(this.timer);
      this.shutdownPromise = (async () => {
        this.waiters++;
        try {
          await this.flush();
        } catch {
          // Reported to onError already.
        } finally {
          this.waiters--;
        }
        await this.transport.close();
      })();
    }
    return this.shutdownPromise;
  }

  // Scheduling

  /** The interval timer: sends what is queued unless a drain runs. */
  tick() {
    if (!this.running && (this.queue.length > 0 || this.identifies.length > 0)) void this.startDrain({ upTo: this.seq });
  }

  /** True when an identify or event with seq <= `target` is still queued. @param {number} target */
  pendingUpTo(target) {
    const head = this.queue.peek();
    return (head !== undefined && head.seq <= target) || (this.identifies.length > 0 && this.identifies[0].seq <= target);
  }

  /**
   * Starts the one drain (or returns the running one).
   * @param {{all: false} | {upTo: number}} mode
   * @returns {Promise<TrailmarkError | null>}
   */
  startDrain(mode) {
    if (this.running) return this.running;
    const running = (async () => {
      try {
        return await this.drain(mode);
      } catch (error) {
        return TrailmarkError.wrap(error);
      } finally {
        this.running = null;
      }
    })();
    this.running = running;
    return running;
  }

  /**
   * Sends queued identifies, then batches, until the queue holds less than `flushAt` events
   * (`{all: false}`) or nothing up to `upTo`, or a batch ran out of retries.
   * @param {{all: false} | {upTo: number}} mode
   * @returns {Promise<TrailmarkError | null>}
   */
  async drain(mode) {
    const upTo = 'upTo' in mode ? mode.upTo : Infinity;
    /** @type {TrailmarkError | null} */
    let failure = null;
    while (this.identifies.length > 0 && this.identifies[0].seq <= upTo) {
      const item = /** @type {import('./batch-sender.js').QueuedIdentify} */ (this.identifies.shift());
      const { error, keep } = await this.sender.sendIdentify(item);
      if (error) failure = error;
      if (keep) {
        this.identifies.unshift(item);
        return failure;
      }
    }
    for (;;) {
      const head = this.queue.peek();
      if (!head || head.seq > upTo || ('all' in mode && this.queue.length < this.flushAt)) return failure;
      const batch = this.queue.take(this.maxBatchEvents, this.maxBatchBytes);
      this.inFlight = batch.length;
      const { error, kept } = await this.sender.sendEvents(batch);
      this.inFlight = 0;
      if (error) failure = error;
      if (kept.length > 0) {
        this.queue.putBack(kept);
        return failure;
      }
    }
  }

  /** The stored anonymous id, or a new one (saved). @returns {string} */
  loadAnonymousId() {
    const saved = this.store.load();
    if (typeof saved === 'string' && saved !== '') return saved;
    const fresh = randomUUID();
    this.store.save(fresh);
    return fresh;
  }
}

/** Without `onError`, failures become process warnings (never silent, never a crash). @param {TrailmarkError} error @param {import('./batch-sender.js').FailureInfo} info */
function defaultOnError(error, info) {
  const what = info.identifies > 0 ? `${info.identifies} identify call(s)` : `${info.eventIds.length} event(s)`;
  process.emitWarning(`${what} ${info.dropped ? 'dropped' : 'not delivered yet (kept queued)'}: ${error.code}: ${error.message}`, {
    code: 'TRAILMARK_DELIVERY',
  });
}
