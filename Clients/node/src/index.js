/**
 * Trailmark's Node SDK: `Trailmark` (batched, retried, idempotent tracking) and
 * `TrailmarkQueryClient` (reads), over HTTP/2 with Node's built-in modules only.
 */
export { Trailmark } from './client.js';
export { TrailmarkQueryClient } from './query-client.js';
export { TrailmarkError } from './errors.js';
export { EventQueue } from './queue.js';
export { RetryPolicy } from './retry.js';
export { MemoryAnonymousIdStore, FileAnonymousIdStore } from './anonymous-id-store.js';
export { uuidv7, isUUIDv7, uuidv7Millis } from './uuidv7.js';
export { LIMITS } from './validate.js';
