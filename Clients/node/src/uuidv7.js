import { randomFillSync } from 'node:crypto';

/** Random bytes fetched 4 KiB at a time, so an id costs no system call (ids are made on every `track`). */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;


/**
 * A time-ordered UUID (RFC 9562 § 5.7): 48 bits of Unix milliseconds, version 7, the
 * RFC 4122 variant, then 74 random bits from the CSPRNG. Made at `track` time, so a retried
 * batch carries the same ids and the server stores each event once (SEMANTICS §1).
 * @param {number} [nowMs] milliseconds since the Unix epoch (default: now)
 * @returns {string} lower-case `xxxxxxxx-xxxx-7xxx-[89ab]xxx-xxxxxxxxxxxx`
 */
export function uuidv7(nowMs = Date.now()) {
  if (poolOffset + 16 > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const b = pool.subarray(poolOffset, poolOffset + 16);
  poolOffset += 16;
  const ms = Math.min(Math.max(0, Math.floor(nowMs)), 2 ** 48 - 1);
  b.writeUIntBE(ms, 0, 6);
  b[6] = (b[6] & 0x0f) | 0x70; // version 7
  b[8] = (b[8] & 0x3f) | 0x80; // variant 10
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUIDV7_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** True for the lower-case text of a version-7 UUID. @param {string} text */
export function isUUIDv7(text) {
  return typeof text === 'string' && UUIDV7_PATTERN.test(text);
}

/** The millisecond timestamp inside a UUIDv7. @param {string} text @returns {number} */
export function uuidv7Millis(text) {
  return parseInt(text.slice(0, 8) + text.slice(9, 13), 16);
}
