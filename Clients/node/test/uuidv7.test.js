import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { isUUIDv7, uuidv7, uuidv7Millis } from '../src/uuidv7.js';

test('uuidv7 has version 7, the RFC variant and the given millisecond timestamp', () => {
  for (const ms of [0, 1, 1_700_000_000_123, 2 ** 48 - 1]) {
    const id = uuidv7(ms);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(uuidv7Millis(id), ms);
    assert.ok(isUUIDv7(id));
  }
});

test('uuidv7 ids are unique and sort by time', () => {
  const ids = new Set();
  for (let i = 0; i < 20_000; i++) ids.add(uuidv7(1_700_000_000_000));
  assert.equal(ids.size, 20_000);
  const earlier = uuidv7(1_700_000_000_000);
  const later = uuidv7(1_700_000_000_001);
  assert.ok(earlier < later, `${earlier} should sort before ${later}`);
});

test('uuidv7 random bits vary in every position outside version and variant', () => {
  // 74 random bits: over many ids each hex digit of the random part takes several values.
  const seen = Array.from({ length: 36 }, () => new Set());
  for (let i = 0; i < 2000; i++) {
    const id = uuidv7(42);
    for (let k = 0; k < 36; k++) seen[k].add(id[k]);
  }
  for (const k of [15, 16, 17, 20, 21, 22, 24, 30, 35]) assert.ok(seen[k].size > 1, `position ${k} never changed`);
  assert.equal(seen[14].size, 1); // version digit
  assert.ok([...seen[19]].every((c) => '89ab'.includes(c))); // variant digit
});

test('isUUIDv7 rejects version-4 and malformed ids', () => {
  assert.equal(isUUIDv7(randomUUID()), false);
  assert.equal(isUUIDv7('not-a-uuid'), false);
  assert.equal(isUUIDv7(uuidv7().toUpperCase()), false);
});
