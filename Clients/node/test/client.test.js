import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { isUUIDv7 } from '../src/uuidv7.js';
import { Trailmark } from '../src/index.js';
import { FakeServer } from './fake-server.js';

/** @type {FakeServer} */
let fake;
/** @type {Trailmark[]} */
let clients;

beforeEach(async () => {
  fake = await FakeServer.start();
  clients = [];
});

afterEach(async () => {
  for (const c of clients) await c.shutdown();
  await fake.close();
});

/** A client of the fake with no real waits: backoff sleeps are recorded and skipped. */
function client(options = {}) {
  const sleeps = [];
  const errors = [];
  const c = new Trailmark({
    host: fake.origin,
    key: 'sk_live_test',
    flushInterval: 3_600_000,
    onError: (error, info) => errors.push({ error, info }),
    _sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options,
  });
  clients.push(c);
  return { c, sleeps, errors };
}

const track = (c, n, prefix = 'e') => Array.from({ length: n }, (_, i) => c.track({ event: `${prefix}${i}`, properties: { i } }));

test('batches by count: every flushAt events go out, the rest waits for flush', async () => {
  const { c } = client({ flushAt: 5, maxBatchEvents: 5 });
  const ids = track(c, 12);
  await fake.waitFor(2);
  assert.equal(c.stats.queued >= 2, true);
  await c.flush();
  assert.deepEqual(fake.batches.map((b) => b.length), [5, 5, 2]);
  assert.deepEqual(fake.batches.flat().map((e) => e.event_id), ids, 'order and ids kept');
  for (const request of fake.requests) {
    assert.equal(request.headers.authorization, 'Bearer sk_live_test');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.ok(Number.isInteger(request.body.sent_at) && request.body.sent_at > 1.6e15, 'sent_at in µs');
  }
  for (const event of fake.batches.flat()) {
    assert.ok(isUUIDv7(event.event_id));
    assert.equal(event.anonymous_id, c.anonymousId);
    assert.ok(Number.isInteger(event.timestamp));
  }
  assert.equal(c.stats.sent, 12);
  assert.equal(c.stats.batches, 3);
  assert.equal(c.stats.queued, 0);
});

test('batches by interval: a partial batch goes out when the timer fires', async () => {
  const { c } = client({ flushAt: 100, flushInterval: 20 });
  const ids = track(c, 3);
  await fake.waitFor(1);
  assert.deepEqual(fake.batches[0].map((e) => e.event_id), ids);
});

test('a full queue drops the oldest events and counts them', async () => {
  const { c } = client({ flushAt: 100, maxQueueSize: 3 });
  const ids = track(c, 5);
  assert.equal(c.droppedEvents, 2);
  await c.flush();
  assert.deepEqual(fake.batches.flat().map((e) => e.event_id), ids.slice(2));
});

test('503, a reset stream and a destroyed session are retried with the same event ids; stored once', async () => {
  const { c, sleeps } = client({ flushAt: 100 });
  fake.script = [{ status: 503, body: { error: 'unavailable', message: 'replaying' } }, 'reset', 'destroy', 'store-then-destroy'];
  const ids = track(c, 10);
  await c.flush();
  assert.equal(fake.batches.length, 5);
  for (const batch of fake.batches) assert.deepEqual(batch.map((e) => e.event_id), ids);
  assert.equal(fake.stored.size, 10);
  assert.equal(c.stats.retries, 4);
  assert.equal(c.stats.sent, 10);
  assert.equal(c.stats.duplicates, 10, 'the last retry was acknowledged as duplicates');
  assert.equal(sleeps.length, 4);
  assert.ok(fake.sessions >= 3, `reconnected after destroyed sessions (${fake.sessions} sessions)`);
});

test('429 honours Retry-After instead of the backoff', async () => {
  const { c, sleeps } = client();
  fake.script = [{ status: 429, headers: { 'retry-after': '7' }, body: { error: 'rate_limited', message: 'slow down' } }];
  track(c, 2);
  await c.flush();
  assert.deepEqual(sleeps, [7000]);
  assert.equal(fake.stored.size, 2);
});

test('backoff doubles from retryBaseMs with full jitter (largest draw)', async () => {
  const { c, sleeps } = client({ retryBaseMs: 100, retryCapMs: 300, _random: () => 0.999999 });
  fake.script = [{ status: 503 }, { status: 500 }, { status: 502 }, 'hang'];
  track(c, 1);
  fake.script.pop(); // no hang: four attempts, the fourth succeeds
  await c.flush();
  assert.deepEqual(sleeps, [100, 200, 300]);
});

for (const [status, code] of [[400, 'invalid_json'], [401, 'unauthorized'], [403, 'forbidden'], [413, 'payload_too_large']]) {
  test(`${status} ${code} is never retried: the batch is dropped and reported`, async () => {
    const { c, errors, sleeps } = client();
    fake.script = [{ status, body: { error: code, message: 'no', details: {} } }];
    const ids = [c.track({ event: 'only' })];
    await assert.rejects(c.flush(), (e) => e.code === code && e.status === status);
    assert.equal(fake.requests.length, 1);
    assert.deepEqual(sleeps, []);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].error.code, code);
    assert.deepEqual(errors[0].info, { eventIds: ids, identifies: 0, dropped: true });
    assert.equal(c.stats.rejected, 1);
    assert.equal(c.stats.queued, 0);
  });
}

test('a 400 naming events[i] drops that event only and resends the rest at once', async () => {
  const { c, errors, sleeps } = client();
  const ids = track(c, 4);
  fake.script = [{ status: 400, body: { error: 'invalid_event', message: 'bad', details: { field: 'events[1].timestamp', reason: 'range' } } }];
  await assert.rejects(c.flush(), /bad/);
  assert.deepEqual(fake.batches.map((b) => b.map((e) => e.event_id)), [ids, [ids[0], ids[2], ids[3]]]);
  assert.deepEqual(errors.map((e) => e.info.eventIds), [[ids[1]]]);
  assert.deepEqual(sleeps, []);
  assert.equal(c.stats.rejected, 1);
  assert.equal(c.stats.sent, 3);
});

test('a 413 splits the batch in halves', async () => {
  const { c } = client();
  const ids = track(c, 5);
  fake.script = [{ status: 413, body: { error: 'payload_too_large', message: 'big' } }];
  await c.flush();
  assert.deepEqual(fake.batches.map((b) => b.length), [5, 3, 2]);
  assert.deepEqual([...fake.stored.keys()], ids);
});

test('when maxRetries runs out the events stay queued, onError hears it, the next flush delivers', async () => {
  const { c, errors } = client({ maxRetries: 2 });
  const unavailable = { status: 503, body: { error: 'unavailable', message: 'down' } };
  fake.script = [unavailable, unavailable, unavailable];
  const ids = track(c, 3);
  await assert.rejects(c.flush(), (e) => e.code === 'unavailable');
  assert.equal(fake.requests.length, 3);
  assert.equal(c.stats.queued, 3);
  assert.deepEqual(errors.map((e) => e.info), [{ eventIds: ids, identifies: 0, dropped: false }]);
  await c.flush();
  assert.deepEqual([...fake.stored.keys()], ids);
});

test('a request with no answer times out and is retried', async () => {
  const { c } = client({ timeoutMs: 100 });
  fake.script = ['hang'];
  track(c, 2);
  await c.flush();
  assert.equal(fake.batches.length, 2);
  assert.equal(fake.stored.size, 2);
});

test('after GOAWAY the next batch opens a new session', async () => {
  const { c } = client();
  fake.script = ['goaway'];
  track(c, 1, 'a');
  await c.flush();
  track(c, 1, 'b');
  await c.flush();
  assert.equal(fake.stored.size, 2);
  assert.equal(c.transport.connects, 2);
});

test('flush resolves only after the acknowledgement', async () => {
  const { c } = client();
  fake.script = ['hold'];
  track(c, 2);
  let settled = false;
  const flushing = c.flush().then(() => {
    settled = true;
  });
  await fake.waitFor(1);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, false, 'flush settled before the server answered');
  fake.release();
  await flushing;
  assert.equal(settled, true);
  assert.equal(c.stats.sent, 2);
});

test('shutdown delivers what is queued, then ignores new calls; it is idempotent', async () => {
  const { c } = client();
  const ids = track(c, 3);
  await Promise.all([c.shutdown(), c.shutdown()]);
  assert.deepEqual([...fake.stored.keys()], ids);
  c.track({ event: 'late' });
  c.identify({ userId: 'late' });
  await c.flush();
  assert.equal(fake.requests.length, 1);
  assert.equal(c.transport.closed, true);
});

test('identify goes to /v1/identify with this process\'s anonymous id, before the events', async () => {
  const { c } = client();
  c.track({ event: 'before' });
  c.identify({ userId: 'u1', traits: { plan: 'pro' } });
  c.track({ event: 'after', userId: 'u2' });
  await c.flush();
  assert.deepEqual(fake.requests.map((r) => r.path), ['/v1/identify', '/v1/batch']);
  const body = fake.requests[0].body;
  assert.equal(body.anonymous_id, c.anonymousId);
  assert.equal(body.user_id, 'u1');
  assert.deepEqual(body.traits, { plan: 'pro' });
  const [before, after] = fake.batches[0];
  assert.equal(before.anonymous_id, c.anonymousId);
  assert.equal(after.user_id, 'u2');
  assert.equal(after.anonymous_id, undefined, 'a user event does not borrow the process anonymous id');
  assert.equal(c.stats.identifies, 1);
});

test('track sends every field under its API name and returns the given eventId', async () => {
  const { c } = client();
  const when = new Date('2026-05-01T10:00:00.123Z');
  const id = c.track({ event: '$pageview', eventId: 'my-id', anonymousId: 'a1', userId: 'u1', timestamp: when, sessionId: 's1',
    url: 'https://x.example/p?utm_source=n', path: '/p', referrer: 'https://ref.example/', properties: { a: 'b', n: 1.5, t: true, z: null } });
  assert.equal(id, 'my-id');
  c.track({ event: 'iso', timestamp: '2026-05-01T00:00:00.000001Z' });
  await c.flush();
  assert.deepEqual(fake.batches[0][0], { event: '$pageview', event_id: 'my-id', anonymous_id: 'a1', user_id: 'u1', timestamp: when.getTime() * 1000,
    session_id: 's1', url: 'https://x.example/p?utm_source=n', path: '/p', referrer: 'https://ref.example/', properties: { a: 'b', n: 1.5, t: true, z: null } });
  assert.equal(fake.batches[0][1].timestamp, '2026-05-01T00:00:00.000001Z');
});

test('after shutdown a flush of events kept from a failed delivery ends at once (closed is not retried)', async () => {
  const { c, sleeps, errors } = client({ maxRetries: 0 });
  fake.script = [{ status: 503, body: { error: 'unavailable', message: 'down' } }];
  const ids = track(c, 2);
  await c.shutdown();
  assert.equal(c.stats.queued, 2, 'kept after the failed shutdown flush');
  await assert.rejects(c.flush(), (e) => e.code === 'closed' && !e.retryable);
  assert.deepEqual(sleeps, []);
  assert.deepEqual(errors.map((e) => [e.error.code, e.info.dropped]), [['unavailable', false], ['closed', true]]);
  assert.deepEqual(errors[1].info.eventIds, ids);
});
