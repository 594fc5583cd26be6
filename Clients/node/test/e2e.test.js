import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Trailmark, TrailmarkQueryClient } from '../src/index.js';
import { BINARY, RealServer } from './real-server.js';
import { LossyProxy } from './lossy-proxy.js';

// End to end against the real server binary (TLS, development CA). `make test-node-sdk`
// sets TRAILMARK_BIN; without it these tests are reported as skipped, not passed.
const skip = !BINARY || !existsSync(BINARY) ? 'TRAILMARK_BIN is not set to a trailmark binary' : false;

/** @type {RealServer} */
let server;
/** @type {Record<string, {sk: string, rk: string}>} */
const keys = {};

before(async () => {
  if (skip) return;
  server = new RealServer();
  for (const project of ['basic', 'drops', 'auth']) keys[project] = { sk: server.createKey('secret', project), rk: server.createKey('read', project) };
  await server.start();
});

after(async () => {
  if (server) await server.stop();
});

/** Every stored row of the project of `rk` within an hour of now, across cursors. */
async function storedRows(rk) {
  const reader = new TrailmarkQueryClient({ host: server.origin, key: rk, ca: server.caFile() });
  try {
    const rows = [];
    const now = Date.now();
    for await (const row of reader.events({ from: new Date(now - 3_600_000), to: new Date(now + 3_600_000), limit: 128 })) rows.push(row);
    return rows;
  } finally {
    await reader.close();
  }
}

/** Asserts each id in `ids` is stored exactly once among `rows`, and nothing else is. */
function assertExactlyOnce(rows, ids) {
  const counts = new Map();
  for (const row of rows) if (row.event !== '$identify') counts.set(row.event_id, (counts.get(row.event_id) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], 'events stored more than once');
  assert.deepEqual([...counts.keys()].sort(), [...ids].sort(), 'stored ids differ from the tracked ones');
}

test('300 events over TLS are stored exactly once, with their fields; identify stitches the user', { skip, timeout: 120_000 }, async () => {
  const errors = [];
  const tm = new Trailmark({ host: server.origin, key: keys.basic.sk, ca: server.caFile(), flushAt: 50, onError: (e) => errors.push(e) });
  const ids = [];
  for (let i = 0; i < 300; i++) {
    ids.push(tm.track({ event: `step${i % 3}`, anonymousId: `anon-${i % 4}`, properties: { i, even: i % 2 === 0 },
      url: i === 0 ? 'https://shop.example/?utm_source=newsletter&utm_medium=email' : undefined }));
  }
  tm.identify({ userId: 'user-0', anonymousId: 'anon-0', traits: { plan: 'pro' } });
  await tm.shutdown();
  assert.deepEqual(errors, []);
  assert.equal(tm.stats.sent, 300);
  assert.equal(tm.stats.duplicates, 0);

  const rows = await storedRows(keys.basic.rk);
  assertExactlyOnce(rows, ids);
  const first = rows.find((r) => r.event_id === ids[0]);
  assert.deepEqual(first.properties, { i: 0, even: true });
  assert.equal(first.source, 'newsletter');
  assert.equal(first.user, 'user-0', 'pre-login events of anon-0 belong to user-0');

  const reader = new TrailmarkQueryClient({ host: server.origin, key: keys.basic.rk, ca: server.caFile() });
  try {
    const stats = await reader.stats({ metric: 'count', event: ['step0', 'step1', 'step2'] });
    assert.equal(stats.rows[0].value, 300);
    const user = await reader.user('user-0');
    assert.deepEqual(user.anonymous_ids, ['anon-0']);
    const funnel = await reader.funnel({ from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 3_600_000), steps: ['step0', 'step1'] });
    assert.equal(funnel.groups[0].steps[0].reached, 4);
  } finally {
    await reader.close();
  }
});

test('acknowledgements lost after the server stored the batch: retries are duplicates, each event stored once', { skip, timeout: 120_000 }, async () => {
  const tls = join(server.dataDir, 'tls');
  const proxy = new LossyProxy({ upstream: server.origin, ca: server.caFile(), certFile: join(tls, 'server-chain.pem'), keyFile: join(tls, 'server-key.pem'),
    plan: ['destroy', 'reset', 'destroy'] });
  const origin = await proxy.start();
  try {
    const tm = new Trailmark({ host: origin, key: keys.drops.sk, ca: server.caFile(), flushAt: 40, maxBatchEvents: 40 });
    const ids = [];
    for (let i = 0; i < 200; i++) ids.push(tm.track({ event: 'drop-test', anonymousId: `a${i % 7}`, properties: { i } }));
    await tm.flush();
    await tm.shutdown();
    assert.equal(proxy.lost, 3);
    assert.deepEqual(proxy.forwarded.slice(0, 4).map((b) => b.join()), Array(4).fill(ids.slice(0, 40).join()), 'the retries resent the same event ids');
    assert.equal(tm.stats.retries, 3);
    assert.equal(tm.stats.sent, 200);
    assert.equal(tm.stats.duplicates, 40, 'the retry after the lost acknowledgements was acknowledged as duplicates');
    assertExactlyOnce(await storedRows(keys.drops.rk), ids);
  } finally {
    await proxy.close();
  }
});

test('an unknown key is refused with 401 unauthorized, reported once, never retried', { skip, timeout: 60_000 }, async () => {
  const failures = [];
  const tm = new Trailmark({ host: server.origin, key: 'sk_live_AAAAAAAA_notarealsecret', ca: server.caFile(), onError: (e, info) => failures.push({ e, info }) });
  const id = tm.track({ event: 'x' });
  await assert.rejects(tm.flush(), (e) => e.code === 'unauthorized' && e.status === 401);
  assert.equal(failures.length, 1);
  assert.deepEqual(failures[0].info, { eventIds: [id], identifies: 0, dropped: true });
  assert.equal(tm.stats.retries, 0);
  await tm.shutdown();
  assert.deepEqual(await storedRows(keys.auth.rk), []);
});
