import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trailmark } from '../src/index.js';
import { FakeServer } from './fake-server.js';

// A throwaway CA and a 127.0.0.1 certificate made with the openssl CLI, for a TLS fake.
let dir;
let fake;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tm-node-tls-'));
  const run = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=trailmark node test CA');
  run('req', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '2', '-extfile', 'san.ext');
  fake = await FakeServer.start({ cert: readFileSync(join(dir, 'leaf.pem')), key: readFileSync(join(dir, 'leaf.key')) });
});

after(async () => {
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('TLS with the CA given as a file path, as PEM text or as a Buffer', async () => {
  const caPath = join(dir, 'ca.pem');
  for (const ca of [caPath, readFileSync(caPath, 'utf8'), readFileSync(caPath)]) {
    const c = new Trailmark({ host: fake.origin, key: 'sk_live_x', ca, flushInterval: 3_600_000 });
    const id = c.track({ event: 'tls' });
    await c.flush();
    await c.shutdown();
    assert.ok(fake.stored.has(id));
  }
  assert.ok(fake.origin.startsWith('https://'));
});

test('an untrusted certificate is a connection error: reported, the event kept, nothing sent', async () => {
  const failures = [];
  const before = fake.requests.length;
  const c = new Trailmark({ host: fake.origin, key: 'sk_live_x', maxRetries: 0, flushInterval: 3_600_000, onError: (e, info) => failures.push({ e, info }) });
  c.track({ event: 'untrusted' });
  await assert.rejects(c.flush(), (e) => e.code === 'connection_error' && e.retryable);
  assert.equal(failures.length, 1);
  assert.equal(failures[0].info.dropped, false);
  assert.equal(c.stats.queued, 1);
  assert.equal(fake.requests.length, before);
  await c.transport.close();
});
