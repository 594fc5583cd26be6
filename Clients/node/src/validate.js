/**
 * Early checks of `track` / `identify` input against the limits of shared/SEMANTICS.md §1,
 * so a bad call fails at the call site with a `TypeError` (wrong type) or `RangeError`
 * (wrong size) naming the field, instead of poisoning a whole batch on the server later.
 */

/** Byte limits of SEMANTICS §1 (UTF-8). */
export const LIMITS = Object.freeze({
  eventBytesMax: 200,
  anonymousIdBytesMax: 200,
  userIdBytesMax: 256,
  sessionIdBytesMax: 128,
  eventIdBytesMax: 128,
  urlBytesMax: 2048,
  propertyKeyBytesMax: 256,
  propertiesBytesMax: 64 * 1024,
});

/** Times the server accepts: years 1970 through 9999, in ms since the epoch. */
const TIME_MS_MIN = 0;
const TIME_MS_END = Date.UTC(10000, 0, 1);

/**
 * An optional string of at most `max` bytes; `required` also forbids absence and `''`.
 * @param {unknown} value
 * @param {string} field
 * @param {number} max
 * @param {boolean} [required]
 * @returns {string | undefined}
 */
export function checkString(value, field, max, required = false) {
  if (value === undefined || value === null) {
    if (required) throw new TypeError(`${field} is required`);
    return undefined;
  }
  if (typeof value !== 'string') throw new TypeError(`${field} must be a string, got ${typeof value}`);
  if (required && value.length === 0) throw new RangeError(`${field} must not be empty`);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > max) throw new RangeError(`${field} is ${bytes} bytes; at most ${max} are allowed`);
  return value;
}

/**
 * A flat map of string keys to string | finite number | boolean | null, keys of at most
 * 256 bytes, at most 64 KiB as compact JSON (how the server measures it).
 * @param {unknown} value
 * @param {string} field
 * @returns {string | undefined} the map's compact JSON text (made once, reused in the event)
 */
export function checkProperties(value, field) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`${field} must be a plain object`);
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw new TypeError(`${field} must be a plain object`);
  for (const [key, v] of Object.entries(value)) {
    const keyBytes = Buffer.byteLength(key, 'utf8');
    if (keyBytes > LIMITS.propertyKeyBytesMax) {
      throw new RangeError(`${field} key ${JSON.stringify(key.slice(0, 40))} is ${keyBytes} bytes; at most ${LIMITS.propertyKeyBytesMax} are allowed`);
    }
    const path = `${field}.${key}`;
    if (v === null || typeof v === 'string' || typeof v === 'boolean') continue;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new RangeError(`${path} must be a finite number`);
      continue;
    }
    throw new TypeError(`${path} must be a string, number, boolean or null (properties are flat), got ${Array.isArray(v) ? 'array' : typeof v}`);
  }
  const json = JSON.stringify(value);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > LIMITS.propertiesBytesMax) throw new RangeError(`${field} is ${bytes} bytes as JSON; at most ${LIMITS.propertiesBytesMax} are allowed`);
  return json;
}

/**
 * A time as the API wants it: a `Date` or a number of **milliseconds** since the epoch
 * (fractions allowed) become integer microseconds; an RFC 3339 string passes through.
 * @param {unknown} value
 * @param {string} field
 * @returns {number | string | undefined}
 */
export function checkTime(value, field) {
  if (value === undefined || value === null) return undefined;
  let ms;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'number') ms = value;
  else if (typeof value === 'string') {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i.test(value)) {
      throw new RangeError(`${field} must be an RFC 3339 time such as 2026-05-01T00:00:00Z, got ${JSON.stringify(value.slice(0, 40))}`);
    }
    ms = Date.parse(value);
    if (Number.isNaN(ms) || ms < TIME_MS_MIN || ms >= TIME_MS_END) throw new RangeError(`${field} must lie in the years 1970 to 9999`);
    return value;
  } else {
    throw new TypeError(`${field} must be a Date, a number of milliseconds since the epoch or an RFC 3339 string`);
  }
  if (!Number.isFinite(ms) || ms < TIME_MS_MIN || ms >= TIME_MS_END) throw new RangeError(`${field} must lie in the years 1970 to 9999`);
  return Math.round(ms * 1000);
}

/**
 * An integer option within bounds.
 * @param {unknown} value
 * @param {string} field
 * @param {number} min
 * @param {number} max
 * @returns {number}
 */
export function checkInteger(value, field, min, max) {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`${field} must be an integer`);
  if (value < min || value > max) throw new RangeError(`${field} must be between ${min} and ${max}, got ${value}`);
  return value;
}
