import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trailmark, FileAnonymousIdStore, MemoryAnonymousIdStore, TrailmarkQueryClient } from '../src/index.js';
import { FakeServer } from './fake-server.js';

const base = { host: 'http://127.0.0.1:1', key: 'sk_live_x' };

test('bad options fail at construction with an error naming the option', () => {
  assert.throws(() => new Trailmark({ ...base, flushAt: 0 }), { name: 'RangeError', message: /flushAt/ });
  assert.throws(() => new Trailmark({ ...base, maxBatchEvents: 1001 }), { name: 'RangeError', message: /maxBatchEvents/ });
  assert.throws(() => new Trailmark({ ...base, maxQueueSize: 1.5 }), { name: 'TypeError', message: /maxQueueSize/ });
  assert.throws(() => new Trailmark({ ...base, host: 'ftp://x' }), { name: 'RangeError', message: /host/ });
  assert.throws(() => new Trailmark({ ...base, host: 'https://x/path' }), { name: 'RangeError', message: /host/ });
  assert.throws(() => new Trailmark({ ...base, key: '' }), { name: 'RangeError', message: /key/ });
  assert.throws(() => new Trailmark({ ...base, onError: 'no' }), { name: 'TypeError', message: /onError/ });
  assert.throws(() => new Trailmark({ ...base, ca: '/nonexistent/ca.pem' }), { name: 'RangeError', message: /ca/ });
});

test('bad track and identify input fails at the call with an error naming the field', () => {
  const c = new Trailmark(base);
  const cases = [
    [{}, 'TypeError', /event is required/],
    [{ event: '' }, 'RangeError', /event must not be empty/],
    [{ event: 7 }, 'TypeError', /event must be a string/],
    [{ event: 'x'.repeat(201) }, 'RangeError', /event is 201 bytes; at most 200/],
    [{ event: 'é'.repeat(101) }, 'RangeError', /event is 202 bytes/],
    [{ event: 'e', userId: '' }, 'RangeError', /userId/],
    [{ event: 'e', userId: 'u'.repeat(257) }, 'RangeError', /userId/],
    [{ event: 'e', anonymousId: 'a'.repeat(201) }, 'RangeError', /anonymousId/],
    [{ event: 'e', sessionId: 's'.repeat(129) }, 'RangeError', /sessionId/],
    [{ event: 'e', eventId: 'i'.repeat(129) }, 'RangeError', /eventId/],
    [{ event: 'e', url: 'u'.repeat(2049) }, 'RangeError', /url/],
    [{ event: 'e', referrer: 'r'.repeat(2049) }, 'RangeError', /referrer/],
    [{ event: 'e', properties: [] }, 'TypeError', /properties must be a plain object/],
    [{ event: 'e', properties: { nested: { a: 1 } } }, 'TypeError', /properties\.nested/],
    [{ event: 'e', properties: { n: NaN } }, 'RangeError', /properties\.n must be a finite number/],
    [{ event: 'e', properties: { ['k'.repeat(257)]: 1 } }, 'RangeError', /properties key/],
    [{ event: 'e', properties: { big: 'x'.repeat(65536) } }, 'RangeError', /properties is \d+ bytes as JSON/],
    [{ event: 'e', timestamp: new Date('invalid') }, 'RangeError', /timestamp/],
    [{ event: 'e', timestamp: Date.UTC(10000, 0, 1) }, 'RangeError', /timestamp must lie in the years 1970 to 9999/],
    [{ event: 'e', timestamp: -1 }, 'RangeError', /timestamp/],
    [{ event: 'e', timestamp: 'yesterday' }, 'RangeError', /timestamp must be an RFC 3339 time/],
    [{ event: 'e', timestamp: true }, 'TypeError', /timestamp/],
  ];
  for (const [input, name, message] of cases) {
    assert.throws(() => c.track(input), { name, message }, JSON.stringify(input).slice(0, 80));
  }
  assert.throws(() => c.identify({}), { name: 'TypeError', message: /userId is required/ });
  assert.throws(() => c.identify({ userId: '' }), { name: 'RangeError', message: /userId must not be empty/ });
  assert.throws(() => c.identify({ userId: 'u', traits: { a: [1] } }), { name: 'TypeError', message: /traits\.a/ });
  assert.throws(() => c.track(null), TypeError);
  assert.equal(c.stats.queued, 0, 'nothing bad was queued');
  c.track({ event: 'ok', properties: { s: 'x'.repeat(60_000) } });
  assert.equal(c.stats.queued, 1);
});

test('the anonymous id is made once and kept by the store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tm-node-anon-'));
  try {
    const path = join(dir, 'sub', 'anonymous-id');
    const first = new Trailmark({ ...base, anonymousIdStore: new FileAnonymousIdStore(path) });
    const again = new Trailmark({ ...base, anonymousIdStore: new FileAnonymousIdStore(path) });
    assert.match(first.anonymousId, /^[0-9a-f-]{36}$/);
    assert.equal(again.anonymousId, first.anonymousId);
    const fresh = again.reset();
    assert.notEqual(fresh, first.anonymousId);
    assert.equal(new FileAnonymousIdStore(path).load(), fresh);
    const memory = new MemoryAnonymousIdStore('given');
    assert.equal(new Trailmark({ ...base, anonymousIdStore: memory }).anonymousId, 'given');
    assert.notEqual(new Trailmark(base).anonymousId, new Trailmark(base).anonymousId);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the SDK never keeps the process alive by itself', { timeout: 60_000 }, async () => {
  const fake = await FakeServer.start();
  try {
    // A child tracks (the interval timer and an idle HTTP/2 session exist) and never shuts
    // down; it must exit on its own with everything already flushed.
    const script = `
      import { Trailmark } from ${JSON.stringify(new URL('../src/index.js', import.meta.url).href)};
      const c = new Trailmark({ host: ${JSON.stringify(fake.origin)}, key: 'sk_live_x', flushInterval: 1000 });
      c.track({ event: 'one' });
      await c.flush();
      c.track({ event: 'two' });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
    assert.equal(fake.batches.length, 1);
  } finally {
    await fake.close();
  }
});

test('read client: parameters become the API query string, JSON comes back parsed, 503 is retried', async () => {
  const fake = await FakeServer.start();
  const sleeps = [];
  const q = new TrailmarkQueryClient({ host: fake.origin, key: 'rk_live_x', _sleep: async (ms) => { sleeps.push(ms); } });
  try {
    fake.script = [
      { status: 503, headers: { 'retry-after': '1' }, body: { error: 'unavailable', message: 'replaying' } },
      { status: 200, body: { events: [{ event_id: 'a' }], next_cursor: 'c1' } },
      { status: 200, body: { events: [{ event_id: 'b' }], next_cursor: null } },
      { status: 200, body: { metric: 'count', rows: [{ value: 3 }] } },
      { status: 200, body: { user_id: 'u 1' } },
      { status: 200, body: { groups: [] } },
      { status: 400, body: { error: 'invalid_query', message: 'metric is required', details: { field: 'metric' } } },
    ];
    const rows = [];
    for await (const row of q.events({ from: new Date(0), to: '2100-01-01T00:00:00Z', userId: 'u1', limit: 1 })) rows.push(row.event_id);
    assert.deepEqual(rows, ['a', 'b']);
    assert.deepEqual(sleeps, [1000]);
    const stats = await q.stats({ metric: 'count', event: ['a', 'b'], groupBy: ['event', 'source'], interval: 'day' });
    assert.equal(stats.rows[0].value, 3);
    await q.user('u 1', { conversionEvent: 'buy' });
    await q.funnel({ from: new Date(0), to: new Date(86_400_000), steps: ['visit', { event: 'buy', where: { planName: 'pro' } }], countBy: undefined,
      experiment: { name: 'x', exposureAsFirstStep: true } });
    await assert.rejects(q.stats({}), (e) => e.code === 'invalid_query' && e.field === 'metric' && e.status === 400);
    const paths = fake.requests.map((r) => r.path);
    assert.equal(paths[0], '/v1/query?from=1970-01-01T00%3A00%3A00.000Z&to=2100-01-01T00%3A00%3A00Z&user_id=u1&limit=1');
    assert.equal(paths[2], '/v1/query?from=1970-01-01T00%3A00%3A00.000Z&to=2100-01-01T00%3A00%3A00Z&user_id=u1&limit=1&cursor=c1');
    assert.equal(paths[3], '/v1/stats?metric=count&event=a&event=b&group_by=event%2Csource&interval=day');
    assert.equal(paths[4], '/v1/users/u%201?conversion_event=buy');
    assert.equal(fake.requests[5].method, 'POST');
    assert.deepEqual(fake.requests[5].body, { from: '1970-01-01T00:00:00.000Z', to: '1970-01-02T00:00:00.000Z',
      steps: [{ event: 'visit' }, { event: 'buy', where: { planName: 'pro' } }], experiment: { name: 'x', exposure_as_first_step: true } });
    assert.equal(fake.requests[0].headers.authorization, 'Bearer rk_live_x');
  } finally {
    await q.close();
    await fake.close();
  }
});
