import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventQueue } from '../src/queue.js';
import { RetryPolicy } from '../src/retry.js';
import { TrailmarkError, parseRetryAfter } from '../src/errors.js';

const item = (seq, bytes = 10) => ({ seq, id: `e${seq}`, json: '{}', bytes });

test('a full queue drops the oldest event and counts it', () => {
  const q = new EventQueue(3);
  for (let i = 1; i <= 5; i++) q.push(item(i));
  assert.equal(q.length, 3);
  assert.equal(q.dropped, 2);
  assert.deepEqual(q.take(10, 1e9).map((e) => e.seq), [3, 4, 5]);
  assert.equal(q.length, 0);
});

test('putBack restores order and drops the oldest of the batch when the queue filled', () => {
  const q = new EventQueue(4);
  for (let i = 1; i <= 4; i++) q.push(item(i));
  const batch = q.take(3, 1e9);
  assert.deepEqual(batch.map((e) => e.seq), [1, 2, 3]);
  q.push(item(5));
  q.putBack(batch); // room for 2 of 3: the oldest (1) is dropped
  assert.equal(q.dropped, 1);
  assert.deepEqual(q.take(10, 1e9).map((e) => e.seq), [2, 3, 4, 5]);
});

test('take respects the event and byte limits but always takes one', () => {
  const q = new EventQueue(10);
  for (let i = 1; i <= 6; i++) q.push(item(i, 100));
  assert.equal(q.take(2, 1e9).length, 2);
  assert.equal(q.take(10, 250).length, 2); // 101 + 101 <= 250 < 303
  assert.equal(q.take(10, 10).length, 1); // one event even when larger than the limit
  assert.equal(q.length, 1);
  assert.throws(() => new EventQueue(0), /maxQueueSize/);
});

test('backoff is full jitter under a doubling, capped ceiling', () => {
  const policy = new RetryPolicy({ baseMs: 100, capMs: 1000 });
  assert.deepEqual([0, 1, 2, 3, 4, 10].map((n) => policy.ceilingMs(n)), [100, 200, 400, 800, 1000, 1000]);
  assert.equal(policy.delayMs(3, undefined, () => 0), 0);
  assert.equal(policy.delayMs(3, undefined, () => 0.9999999), 800);
  for (let i = 0; i < 1000; i++) {
    const d = policy.delayMs(2, undefined);
    assert.ok(d >= 0 && d <= 400 && Number.isInteger(d));
  }
});

test('a Retry-After hint replaces the backoff, up to retryAfterMaxMs', () => {
  const policy = new RetryPolicy({ retryAfterMaxMs: 30_000 });
  assert.equal(policy.delayMs(0, { retryAfterMs: 7000 }, () => 0), 7000);
  assert.equal(policy.delayMs(0, { retryAfterMs: 3_600_000 }), 30_000);
  assert.equal(parseRetryAfter('3'), 3000);
  assert.equal(parseRetryAfter(undefined), undefined);
  assert.equal(parseRetryAfter('soon'), undefined);
  const inFuture = parseRetryAfter(new Date(Date.now() + 60_000).toUTCString());
  assert.ok(inFuture > 0 && inFuture <= 60_000);
});

test('errors are retryable for connection loss, timeouts, 429 and 5xx only', () => {
  const status = (s) => TrailmarkError.fromResponse(s, {}, '{"error":"x","message":"m"}');
  for (const s of [429, 500, 502, 503]) assert.equal(status(s).retryable, true, `status ${s}`);
  for (const s of [400, 401, 403, 404, 413, 415]) assert.equal(status(s).retryable, false, `status ${s}`);
  assert.equal(TrailmarkError.wrap(new Error('ECONNRESET')).retryable, true);
  assert.equal(new TrailmarkError('timeout', 't').retryable, true);
  const parsed = TrailmarkError.fromResponse(400, {}, '{"error":"invalid_event","message":"bad","details":{"field":"events[3].timestamp","reason":"range"}}');
  assert.equal(parsed.code, 'invalid_event');
  assert.equal(parsed.field, 'events[3].timestamp');
  assert.equal(TrailmarkError.fromResponse(502, {}, '<html>').code, 'http_502');
});
